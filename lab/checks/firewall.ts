// Did the host firewall let a datagram in? For UDP there is no answer to wait for (WireGuard
// ignores a packet it cannot authenticate), so the probe counts it instead: a lab-owned table with
// a base chain on the input hook at a priority after the firewall's (filter + 10). A packet the
// firewall drops never reaches a later base chain; one it accepts is counted. The table exists only
// during the probe.
import { inNs } from "../netns";
import { run } from "../run";
import type { LabHost } from "../state";

const PROBE_TABLE = "v6l_probe";

export async function countAccepted(host: LabHost, from: string, rules: readonly string[], send: () => Promise<void>): Promise<number[]> {
    const script = [
        `table inet ${PROBE_TABLE} {`,
        "    chain input {",
        "        type filter hook input priority filter + 10; policy accept;",
        ...rules.map((r) => `        ip6 saddr ${from} ${r} counter`),
        "    }",
        "}",
        "",
    ].join("\n");
    await run(inNs(host.ns, ["nft", "-f", "-"]), { input: script });
    try {
        await send();
        const listing = (await run(inNs(host.ns, ["nft", "list", "table", "inet", PROBE_TABLE]))).stdout;
        return [...listing.matchAll(/counter packets (\d+)/g)].map((m) => Number(m[1]));
    } finally {
        await run(inNs(host.ns, ["nft", "delete", "table", "inet", PROBE_TABLE]), { allowFail: true });
    }
}
