// Snapshots of a namespace's network state for comparison: addresses, links, routes, rules, the
// nftables/iptables ruleset, sysctls and (on hosts) WireGuard peers. Everything that changes by
// itself (counters, lifetimes, handshake times, byte counts) is left out.
import { wgShowArgv } from "./machines";
import { inNs } from "./netns";
import { run, runSync } from "./run";
import type { LabHost } from "./state";

type Json = Record<string, unknown>;

const SYSCTLS = [
    "net.ipv6.conf.all.forwarding",
    "net.ipv4.ip_forward",
    "net.bridge.bridge-nf-call-ip6tables",
    "net.bridge.bridge-nf-call-iptables",
];

function links(json: string): Json[] {
    return (JSON.parse(json) as Json[]).map((l) => ({ ifname: l.ifname, mtu: l.mtu, master: l.master, flags: l.flags }));
}

function addrs(json: string): Json[] {
    return (JSON.parse(json) as Json[]).map((l) => ({
        ifname: l.ifname,
        addrs: ((l.addr_info as Json[]) ?? []).map((a) => `${String(a.local)}/${String(a.prefixlen)} ${String(a.scope)}`).sort(),
    }));
}

function routes(json: string): string[] {
    return (JSON.parse(json) as Json[]).map((r) => JSON.stringify({ ...r, expires: undefined })).sort();
}

/** `wg show <if> dump` without the private key and the per-handshake/traffic fields. */
function peers(dump: string): string[] {
    const [iface, ...rest] = dump
        .trim()
        .split("\n")
        .filter(Boolean)
        .map((l) => l.split("\t"));
    if (!iface) return [];
    // Peer order in the dump is not meaningful.
    const peerLines = rest.map((f) => `peer ${f[0]} endpoint ${f[2]} allowed ${f[3]} keepalive ${f[7]}`).sort();
    // The dump's first field is the private key itself: only whether it is set goes in the snapshot.
    const privateKey = iface[0] === "(none)" ? "MISSING" : "set";
    return [`interface private key ${privateKey}, public key ${iface[1]}, port ${iface[2]}, fwmark ${iface[3]}`, ...peerLines];
}

async function capture(argvOf: (a: string[]) => string[]): Promise<Json> {
    const get = async (...a: string[]) => (await run(argvOf(a), { allowFail: true })).stdout;
    const [l, a, r6, r4, rule6, rule4, nft, sys] = await Promise.all([
        get("ip", "-j", "link"),
        get("ip", "-j", "addr"),
        get("ip", "-j", "-6", "route", "show", "table", "all"),
        get("ip", "-j", "-4", "route", "show", "table", "all"),
        get("ip", "-j", "-6", "rule"),
        get("ip", "-j", "-4", "rule"),
        get("nft", "-s", "list", "ruleset"),
        get("sysctl", ...SYSCTLS),
    ]);
    return {
        links: links(l),
        addresses: addrs(a),
        routes6: routes(r6),
        routes4: routes(r4),
        rules6: JSON.parse(rule6),
        rules4: JSON.parse(rule4),
        ruleset: nft.split("\n"),
        sysctls: sys.trim().split("\n"),
    };
}

export async function hostSnapshot(host: LabHost): Promise<Json> {
    const base = await capture((a) => inNs(host.ns, a));
    const dump = (await run(wgShowArgv(host, "dump"), { allowFail: true })).stdout;
    return { ...base, wireguard: peers(dump) };
}

/** The root namespace (read only), for "nothing in the root namespace changed". */
export function rootSnapshot(): Json {
    const get = (...a: string[]) => runSync(a, { allowFail: true }).stdout;
    return {
        links: links(get("ip", "-j", "link")),
        addresses: addrs(get("ip", "-j", "addr")),
        routes6: routes(get("ip", "-j", "-6", "route", "show", "table", "all")),
        routes4: routes(get("ip", "-j", "-4", "route", "show", "table", "all")),
        rules6: JSON.parse(get("ip", "-j", "-6", "rule") || "[]"),
        rules4: JSON.parse(get("ip", "-j", "-4", "rule") || "[]"),
        ruleset: get("nft", "-s", "list", "ruleset").split("\n"),
        sysctls: get("sysctl", ...SYSCTLS)
            .trim()
            .split("\n"),
    };
}

let rootBefore: Json | undefined;

/** Takes the root namespace's snapshot that the run's teardown check compares with (rootSnapshotBefore). */
export function recordRootSnapshot(): void {
    rootBefore = rootSnapshot();
}

export function rootSnapshotBefore(): Json {
    if (!rootBefore) throw new Error("lab: no snapshot of the root namespace was taken");
    return rootBefore;
}

/** Line diff of two snapshots, for a failure message that says what changed. */
export function diffSnapshots(before: Json, after: Json): string[] {
    const out: string[] = [];
    for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
        const a = JSON.stringify(before[key], null, 1)
            .split("\n")
            .map((l) => l.trim());
        const b = JSON.stringify(after[key], null, 1)
            .split("\n")
            .map((l) => l.trim());
        const gone = a.filter((l) => !b.includes(l));
        const added = b.filter((l) => !a.includes(l));
        if (gone.length + added.length > 0)
            out.push(`${key}:\n    ${[...gone.map((l) => `- ${l}`), ...added.map((l) => `+ ${l}`)].join("\n    ")}`);
    }
    return out;
}
