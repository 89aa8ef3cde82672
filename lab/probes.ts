// Probes run inside a namespace: ping (optionally full-size, don't fragment), a TCP request to a
// whoami server (bash's /dev/tcp, so names go through the namespace's own resolv.conf), a UDP datagram.
// Each runs in a process group of its own that is killed when it returns: a probe never outlives
// its check (the teardown check counts any process left in a lab namespace).
import { IN_NS } from "./config";
import { inNs } from "./netns";
import { RunResult, eventually, run } from "./run";

/** Where a probe runs: a namespace, and optionally the root to bind (pods: their resolv.conf). */
export interface Place {
    readonly ns: string;
    readonly root?: string;
    readonly label?: string;
}

function argvIn(place: Place, argv: readonly string[]): string[] {
    return inNs(place.ns, place.root ? [IN_NS, place.root, ...argv] : [...argv]);
}

export interface PingOptions {
    /** ICMP payload size (-s); with dontFragment the packet must fit the path MTU as it is. */
    readonly size?: number;
    readonly dontFragment?: boolean;
    readonly count?: number;
    readonly waitSeconds?: number;
}

export function ping(from: Place, to: string, opts: PingOptions = {}): Promise<RunResult> {
    const family = to.includes(":") ? "-6" : "-4";
    // Not -q: it also hides the local "message too long" errors the MTU check looks for.
    const argv = ["ping", family, "-n", "-c", String(opts.count ?? 1), "-W", String(opts.waitSeconds ?? 1)];
    if (opts.size !== undefined) argv.push("-s", String(opts.size));
    if (opts.dontFragment) argv.push("-M", "do");
    return run(argvIn(from, [...argv, to]), { allowFail: true, timeoutMs: 30_000, killGroup: true });
}

/** True once a ping gets an answer, retrying for `timeoutMs` (a mesh handshake may be under way). */
export function reaches(from: Place, to: string, timeoutMs = 10_000, opts: PingOptions = {}): Promise<boolean> {
    return eventually(async () => (await ping(from, to, opts)).code === 0, timeoutMs, 100);
}

/** Connects to host:port and returns what the server said, or null when the connection failed. */
export async function tcpRequest(
    from: Place,
    host: string,
    port: number,
    timeoutSeconds = 3,
): Promise<{ reply: string | null; error: string }> {
    const script = 'exec 3<>"/dev/tcp/$1/$2" && cat <&3';
    const r = await run(argvIn(from, ["timeout", "-k", "1", String(timeoutSeconds), "bash", "-c", script, "_", host, String(port)]), {
        allowFail: true,
        killGroup: true,
    });
    return r.code === 0 ? { reply: r.stdout.trim(), error: "" } : { reply: null, error: r.code === 124 ? "timed out" : r.stderr.trim() };
}

/**
 * As tcpRequest, from a chosen source address of `from` (curl binds it: bash's /dev/tcp cannot):
 * what a firewall that filters by source sees.
 */
export async function tcpRequestFrom(
    from: Place,
    source: string,
    host: string,
    port: number,
    timeoutSeconds = 3,
): Promise<{ reply: string | null; error: string }> {
    const url = `telnet://${host.includes(":") ? `[${host}]` : host}:${port}`;
    const r = await run(argvIn(from, ["curl", "-sS", "--interface", source, "--max-time", String(timeoutSeconds), url]), {
        allowFail: true,
        killGroup: true,
        input: "",
    });
    return r.code === 0 ? { reply: r.stdout.trim(), error: "" } : { reply: null, error: r.code === 28 ? "timed out" : r.stderr.trim() };
}

export async function udpSend(from: Place, host: string, port: number): Promise<void> {
    await run(argvIn(from, ["bash", "-c", 'echo v6k8s-lab-probe > "/dev/udp/$1/$2"', "_", host, String(port)]), { killGroup: true });
}
