// npm run lab          bring the lab up and leave it running (explore with `ip netns exec v6l-...`)
// npm run lab:down     tear it down (also after a crashed run; safe to run any time)
// npm run lab -- --stack lab/stacks/lab-6.yaml    another stack file (test:lab: V6K8S_LAB_STACK=...)
import { parseArgs } from "util";
import { up } from "./lab";
import { exitWith } from "./owner";
import { AlreadyUpError, requireRoot } from "./preflight";
import { down, teardownOnSignals } from "./teardown";
import type { LabState } from "./state";

function summary(state: LabState): string {
    const lines = [`lab is up (${state.timings.total?.toFixed(1)} s) from ${state.stack}:`, ""];
    for (const h of state.hosts) {
        lines.push(
            `  ${h.name.padEnd(6)} ns ${h.ns.padEnd(12)} public ${h.publicAddress.padEnd(20)} wg ${h.wireguardAddress}${h.ipv4 ? `  ipv4 ${h.ipv4}  nat64 ${h.nat64}` : ""}`,
        );
    }
    for (const p of state.pods) lines.push(`  pod ${p.ns.padEnd(16)} ${p.ula}  ${p.gua}`);
    lines.push("", `  DNS: ${state.dns.status === "running" ? `CoreDNS at ${state.dns.server}` : `skipped: ${state.dns.reason}`}`);
    const pod = state.pods[1] ?? state.pods[0];
    lines.push(
        "",
        "try:",
        `  ip netns exec ${pod.ns} ping -c1 ${state.pods[0].ula}`,
        `  ip netns exec ${state.hosts[0].ns} wg show`,
        "  npm run lab:down",
    );
    return lines.join("\n");
}

async function main(argv: string[]): Promise<number> {
    const { positionals, values } = parseArgs({ args: argv, allowPositionals: true, options: { stack: { type: "string" } } });
    const command = positionals[0];
    if (command !== "up" && command !== "down") {
        process.stderr.write("usage: ts-node lab/cli.ts up [--stack <file>] | down\n");
        return 2;
    }
    requireRoot();
    if (command === "down") {
        const r = down();
        process.stdout.write(
            `lab is down: ${r.stopped} processes stopped by PID, ${r.namespaces} namespaces deleted${r.unrecorded ? `, ${r.unrecorded} unrecorded processes stopped` : ""}\n`,
        );
        return 0;
    }
    teardownOnSignals();
    try {
        const state = await up({ stack: values.stack });
        process.stdout.write(`${summary(state)}\n`);
        return 0;
    } catch (e) {
        if (e instanceof AlreadyUpError) {
            process.stderr.write(`${e.message}\n`);
            return 1;
        }
        process.stderr.write(`${(e as Error).message}\nlab: bring-up failed; tearing down\n`);
        down();
        return 1;
    }
}

exitWith(main(process.argv.slice(2)));
