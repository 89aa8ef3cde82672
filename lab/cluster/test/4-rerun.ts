// Cluster check 4: re-running every host's Kubernetes steps (pulumi up with nothing changed would
// not even run them; a changed trigger would) changes nothing that runs: the same containers,
// no restarts, every node still Ready.
import { strict as assert } from "assert";
import { bootstrapKubernetes } from "../bootstrap";
import { kubectlJson } from "../operator";
import { cluster, labState, operator } from "../session";
import { waitNodesReady } from "../up";

interface PodList { items: { metadata: { namespace: string; name: string }; status: { containerStatuses?: { name: string; containerID?: string; restartCount: number }[] } }[] }

async function containers(): Promise<Map<string, string>> {
    const pods = await kubectlJson<PodList>(operator(), ["get", "pods", "-A"]);
    const out = new Map<string, string>();
    for (const p of pods.items) {
        for (const c of p.status.containerStatuses ?? []) out.set(`${p.metadata.namespace}/${p.metadata.name}/${c.name}`, `${c.containerID} restarts=${c.restartCount}`);
    }
    return out;
}

describe("cluster 4. re-running every host's Kubernetes steps", () => {
    it("leaves every container as it was (same IDs, no restarts) and every node Ready", async function () {
        this.timeout(20 * 60_000);
        const before = await containers();
        assert.ok([...before.keys()].some((k) => k.startsWith("kube-system/kube-apiserver-")), "no apiserver pod seen");
        await bootstrapKubernetes(cluster().steps, () => undefined);
        await waitNodesReady(labState(), cluster().config);
        const after = await containers();
        const changed = [...before].filter(([k, v]) => after.get(k) !== v).map(([k, v]) => `${k}: ${v} -> ${after.get(k) ?? "gone"}`);
        assert.deepEqual(changed, []);
    });
});
