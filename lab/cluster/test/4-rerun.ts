// Cluster check 4: `pulumi up` with every step re-run (every remote command without a delete
// replaced: what `pulumi up` does when every trigger changed, in the engine's order) changes
// nothing on the hosts: the same files (inode, mtime, content), the same service processes, the
// same WireGuard keys, the same containers (no restarts), every node still Ready. Not replaced: the
// NAT64 gateway's activate step, whose job is to restart Tayga and the DNS64 resolver (its trigger
// is the gateway files' hash, so it runs only when they changed).
import { strict as assert } from "assert";
import { diagnostics } from "../../engine/engine";
import { testLog } from "../../owner";
import { PodList } from "../checks";
import { allFacts, unitFacts } from "../hostFacts";
import { kubectlJson } from "../operator";
import { containers, restartedSince } from "../restarts";
import { cluster, labState, operator } from "../session";
import { LAB_STACK_FILE } from "../ssh";
import { applyStack, waitNodesReady } from "../up";

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

describe("cluster 4. pulumi up with every step re-run (replaced)", () => {
    it("changes no file, restarts no service or container, keeps every WireGuard key; every node Ready", async function () {
        this.timeout(20 * 60_000);
        const c = cluster();
        const before = await containers();
        const hashesBefore = await configHashes();
        const filesBefore = await allFacts(c.steps);
        const unitsBefore = labState().hosts.map((h) => unitFacts(h));
        const keysBefore = { ...labState().publicKeys };
        assert.ok(
            [...before.keys()].some((k) => k.startsWith("kube-system/kube-apiserver-")),
            "no apiserver pod seen",
        );
        const steps = (await c.engine.resources()).filter(
            (r) => r.type === "command:remote:Command" && !r.outputs.delete && !/^nat64-.+-activate$/.test(r.name),
        );
        const r = await applyStack(c, LAB_STACK_FILE, { args: steps.flatMap((s) => ["--replace", s.urn]) });
        testLog(`pulumi up replacing ${steps.length} steps: ${JSON.stringify(r.summary)} in ${r.seconds.toFixed(1)} s`);
        assert.equal(r.summary.replaced, steps.length, diagnostics(r.stdout));
        await waitNodesReady(labState(), c.config);

        const filesAfter = await allFacts(c.steps);
        const rewritten: string[] = [];
        for (const [host, files] of filesBefore) {
            for (const [p, f] of files)
                if (JSON.stringify(filesAfter.get(host)!.get(p)) !== JSON.stringify(f)) rewritten.push(`${host} ${p}`);
        }
        assert.deepEqual(rewritten, [], "files rewritten by the re-run");
        assert.deepEqual(
            labState().hosts.map((h) => unitFacts(h)),
            unitsBefore,
            "a service was restarted",
        );
        assert.deepEqual(labState().publicKeys, keysBefore, "a WireGuard key changed");
        assert.deepEqual(await configHashes(), hashesBefore, "a static pod's manifest changed");
        const { unexplained, leaseLost } = await restartedSince(before);
        if (leaseLost.length) testLog(`(restarted by their own lost leader lease, not by the re-run: ${leaseLost.join(", ")})`);
        assert.deepEqual(unexplained, []);
    });
});
