// Cluster check 2: pods get their addresses from their node's /96s (ULA first), reach each other
// by ULA across nodes (overlay-free: routed over the mesh), and the apiserver reaches the kubelets
// over the mesh (exec, logs).
import { strict as assert } from "assert";
import { inPrefix } from "../../checks/addresses";
import { TEST_NS, startToolboxes, toolboxPod } from "../checks";
import { kubectl, kubectlJson } from "../operator";
import { labState, operator } from "../session";

interface Pod {
    status: { phase: string; podIPs?: { ip: string }[] };
}

describe("cluster 2. pods", () => {
    before(startToolboxes);

    it("a pod on each node gets its ULA from <node ULA>:1::/96 first, then its GUA from <node GUA>:1::/96", async () => {
        for (const h of labState().hosts) {
            const pod = await kubectlJson<Pod>(operator(), ["-n", TEST_NS, "get", "pod", toolboxPod(h.name)]);
            const ips = (pod.status.podIPs ?? []).map((p) => p.ip);
            assert.ok(ips.length >= 1 && inPrefix(ips[0], h.podUla), `${h.name}: pod IPs ${ips.join(", ")}, want the first in ${h.podUla}`);
            const eth0 = (
                await kubectl(operator(), [
                    "-n",
                    TEST_NS,
                    "exec",
                    toolboxPod(h.name),
                    "--",
                    "ip",
                    "-6",
                    "-o",
                    "addr",
                    "show",
                    "dev",
                    "eth0",
                    "scope",
                    "global",
                ])
            ).stdout;
            const addrs = [...eth0.matchAll(/inet6 ([0-9a-f:]+)\//g)].map((m) => m[1]);
            assert.ok(
                addrs.some((a) => inPrefix(a, h.podUla)),
                `${h.name}: eth0 has no ULA in ${h.podUla}: ${addrs.join(", ")}`,
            );
            assert.ok(
                addrs.some((a) => inPrefix(a, h.podGua)),
                `${h.name}: eth0 has no GUA in ${h.podGua}: ${addrs.join(", ")}`,
            );
        }
    });

    it("pods on different nodes reach each other by ULA (every ordered pair)", async () => {
        const hosts = labState().hosts;
        const ips = new Map<string, string>();
        for (const h of hosts) {
            const pod = await kubectlJson<Pod>(operator(), ["-n", TEST_NS, "get", "pod", toolboxPod(h.name)]);
            ips.set(h.name, pod.status.podIPs![0].ip);
        }
        const failed: string[] = [];
        await Promise.all(
            hosts.flatMap((a) =>
                hosts
                    .filter((b) => b !== a)
                    .map(async (b) => {
                        const r = await kubectl(
                            operator(),
                            ["-n", TEST_NS, "exec", toolboxPod(a.name), "--", "ping", "-c", "1", "-W", "5", ips.get(b.name)!],
                            { allowFail: true },
                        );
                        if (r.code !== 0) failed.push(`${a.name} -> ${b.name} (${ips.get(b.name)}): ${r.stdout}${r.stderr}`);
                    }),
            ),
        );
        assert.deepEqual(failed, []);
    });

    it("kubectl exec and kubectl logs work on every node (apiserver to kubelet over the mesh)", async () => {
        for (const h of labState().hosts) {
            const host = (await kubectl(operator(), ["-n", TEST_NS, "exec", toolboxPod(h.name), "--", "hostname"])).stdout.trim();
            assert.equal(host, toolboxPod(h.name));
            const logs = (await kubectl(operator(), ["-n", TEST_NS, "logs", toolboxPod(h.name)])).stdout;
            assert.match(logs, new RegExp(`toolbox on ${toolboxPod(h.name)} up`));
        }
    });
});
