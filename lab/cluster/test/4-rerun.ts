// Cluster check 4: re-running every host's Kubernetes steps (pulumi up with nothing changed would
// not even run them; a changed trigger would) changes nothing that runs: the same containers,
// no restarts, every node still Ready.
import { strict as assert } from "assert";
import { testLog } from "../../owner";
import { bootstrapKubernetes } from "../bootstrap";
import { PodList, containerStates } from "../checks";
import { kubectl, kubectlJson } from "../operator";
import { cluster, labState, operator } from "../session";
import { waitNodesReady } from "../up";

/**
 * The controller-manager and the scheduler exit by design when they cannot renew their leader
 * lease in time, which happens on a 2-core machine running three control planes under load; the
 * kubelet then starts them again. Such a restart is not the re-run's doing: it is told apart by
 * the previous container's own last words.
 */
async function lostItsLease(key: string): Promise<boolean> {
    const [ns, pod, container] = key.split("/");
    const r = await kubectl(operator(), ["-n", ns, "logs", pod, "-c", container, "--previous", "--tail=30"], { allowFail: true });
    return /leaderelection lost|failed to renew lease|leader election lost/i.test(r.stdout + r.stderr);
}

/** The kubelet's hash of each static pod's manifest: changes when a rewritten manifest differs. */
async function configHashes(): Promise<Map<string, string>> {
    const pods = await kubectlJson<PodList>(operator(), ["-n", "kube-system", "get", "pods"]);
    return new Map(
        pods.items.flatMap((p) => {
            const h = p.metadata.annotations?.["kubernetes.io/config.hash"];
            return h ? [[p.metadata.name, h] as [string, string]] : [];
        }),
    );
}

async function containers(): Promise<Map<string, string>> {
    return containerStates((await kubectlJson<PodList>(operator(), ["get", "pods", "-A"])).items);
}

describe("cluster 4. re-running every host's Kubernetes steps", () => {
    it("leaves every container as it was (same IDs, no restarts) and every node Ready", async function () {
        this.timeout(20 * 60_000);
        const before = await containers();
        const hashesBefore = await configHashes();
        assert.ok(
            [...before.keys()].some((k) => k.startsWith("kube-system/kube-apiserver-")),
            "no apiserver pod seen",
        );
        await bootstrapKubernetes(cluster().steps, () => undefined);
        await waitNodesReady(labState(), cluster().config);
        const after = await containers();
        assert.deepEqual(await configHashes(), hashesBefore, "a static pod's manifest changed");
        const changed = [...before].filter(([k, v]) => after.get(k) !== v);
        const leaseLost: string[] = [];
        const unexplained: string[] = [];
        for (const [k, v] of changed) {
            if (/\/kube-(controller-manager|scheduler)-/.test(k) && (await lostItsLease(k))) leaseLost.push(k);
            else unexplained.push(`${k}: ${v} -> ${after.get(k) ?? "gone"}`);
        }
        if (leaseLost.length) testLog(`(restarted by their own lost leader lease, not by the re-run: ${leaseLost.join(", ")})`);
        assert.deepEqual(unexplained, []);
    });
});
