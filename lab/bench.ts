// npm run bench:lab: measurements, not tests. Bring-up time for 3 and 6 hosts (median of 3), then
// on the 3-host lab iperf3 throughput: pod-to-pod vs host-to-host over the same WireGuard tunnel,
// and NAT64 vs direct IPv4. Prints a Markdown table for lab/README.md. Needs root.
import * as os from "os";
import * as path from "path";
import { nat64Address } from "./checks/addresses";
import { DEFAULT_STACK, INET4_NS, INET4_SERVER, INET6_NS, INET6_SERVER, LAB_DIR } from "./config";
import { up } from "./lab";
import { hostArgv } from "./machines";
import { inNs } from "./netns";
import { guardRun, takeOverLab } from "./owner";
import { startDaemon, stopRecorded } from "./processes";
import { run } from "./run";
import { waitForLog } from "./servers";
import { podOf } from "./session";
import type { LabState } from "./state";
import { down } from "./teardown";

const RUNS = 3;
const SECONDS = 5;

function median(xs: number[]): number {
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.floor(s.length / 2)];
}

async function bringUp(stack: string): Promise<{ total: number; phases: Record<string, number> }> {
    const state = await up({ stack, log: () => undefined });
    const result = { total: state.timings.total, phases: { ...state.timings } };
    down();
    return result;
}

async function iperf(
    name: string,
    serverArgv: (a: string[]) => string[],
    bind: string,
    clientArgv: (a: string[]) => string[],
    target: string,
): Promise<number> {
    const rec = startDaemon(`bench-iperf3-${name}`, serverArgv(["iperf3", "-s", "--forceflush", "-B", bind]));
    try {
        await waitForLog(rec, "Server listening");
        const out = await run(clientArgv(["iperf3", "-c", target, "-t", String(SECONDS), "-O", "1", "-J"]), {
            timeoutMs: (SECONDS + 30) * 1000,
        });
        return (JSON.parse(out.stdout) as { end: { sum_received: { bits_per_second: number } } }).end.sum_received.bits_per_second / 1e6;
    } finally {
        stopRecorded(`bench-iperf3-${name}`);
    }
}

async function throughput(state: LabState): Promise<[string, number][]> {
    const [gw, a, b] = state.hosts;
    const [podA, podB] = [podOf(a, state), podOf(b, state)];
    const inHost = (h: typeof a) => (x: string[]) => hostArgv(h, x);
    const inNsOf = (ns: string) => (x: string[]) => inNs(ns, x);
    const viaNat64 = nat64Address(gw.nat64!, INET4_SERVER);
    return [
        [`pod ${a.name} -> pod ${b.name} (ULA, over wg0)`, await iperf("pod", inNsOf(podB.ns), podB.ula, inNsOf(podA.ns), podB.ula)],
        [
            `host ${a.name} -> host ${b.name} (ULA, over wg0)`,
            await iperf("host", inHost(b), b.wireguardAddress, inHost(a), b.wireguardAddress),
        ],
        // The host firewall keeps iperf3's port closed on GUAs, so the no-tunnel baseline is the same
        // veth/bridge/router path to the IPv6 internet.
        [
            `host ${a.name} -> IPv6 internet (GUA, no tunnel)`,
            await iperf("underlay", inNsOf(INET6_NS), INET6_SERVER, inHost(a), INET6_SERVER),
        ],
        [
            `pod ${a.name} -> IPv4 server via NAT64 on ${gw.name} (over wg0)`,
            await iperf("nat64-pod", inNsOf(INET4_NS), INET4_SERVER, inNsOf(podA.ns), viaNat64),
        ],
        [`host ${gw.name} -> IPv4 server via its own NAT64`, await iperf("nat64-gw", inNsOf(INET4_NS), INET4_SERVER, inHost(gw), viaNat64)],
        [`host ${gw.name} -> IPv4 server, direct IPv4`, await iperf("direct4", inNsOf(INET4_NS), INET4_SERVER, inHost(gw), INET4_SERVER)],
    ];
}

async function main(): Promise<void> {
    guardRun();
    takeOverLab((l) => process.stderr.write(`${l}\n`));
    const stacks: [number, string][] = [
        [3, DEFAULT_STACK],
        [6, path.join(LAB_DIR, "stacks", "lab-6.yaml")],
    ];
    const times: Record<number, number[]> = {};
    for (const [n, stack] of stacks) {
        times[n] = [];
        for (let i = 0; i < RUNS; i++) {
            const r = await bringUp(stack);
            times[n].push(r.total);
            process.stderr.write(
                `bring-up ${n} hosts, run ${i + 1}: ${r.total.toFixed(2)} s (${Object.entries(r.phases)
                    .filter(([k]) => k !== "total")
                    .map(([k, v]) => `${k} ${v.toFixed(2)}`)
                    .join("; ")})\n`,
            );
        }
    }
    const state = await up({ log: () => undefined });
    let rates: [string, number][];
    try {
        rates = await throughput(state);
    } finally {
        down();
    }
    const [t3, t6] = [median(times[3]), median(times[6])];
    const lines = [
        `bench:lab on ${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} CPUs, iperf3 ${SECONDS} s TCP per row`,
        "",
        "| bring-up | median of 3 (s) |",
        "| --- | --- |",
        `| 3 hosts | ${t3.toFixed(2)} |`,
        `| 6 hosts | ${t6.toFixed(2)} (${(t6 / t3).toFixed(2)}x of 3 hosts) |`,
        "",
        "| path (iperf3, TCP) | Mbit/s |",
        "| --- | --- |",
        ...rates.map(([k, v]) => `| ${k} | ${v.toFixed(0)} |`),
        "",
        `pod/host over the same tunnel: ${(rates[0][1] / rates[1][1]).toFixed(2)}; tunnel/underlay: ${(rates[1][1] / rates[2][1]).toFixed(2)}; ` +
            `NAT64 (gateway itself)/direct IPv4: ${(rates[4][1] / rates[5][1]).toFixed(2)}; NAT64 from a pod over the mesh/direct IPv4: ${(rates[3][1] / rates[5][1]).toFixed(2)}`,
    ];
    process.stdout.write(`${lines.join("\n")}\n`);
}

main().catch((e: Error) => {
    process.stderr.write(`${e.stack}\n`);
    try {
        down();
    } finally {
        process.exit(1);
    }
});
