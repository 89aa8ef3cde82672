// Cluster check 7c: growing and shrinking the cluster by stack edits and `pulumi up` (lab:apply),
// with a workload (two replicas, a PodDisruptionBudget) and the apiservers probed once a second
// from lab1 throughout (day2.ts).
// - Grow: a new worker w2 that is also the public service's host, in one run. The lab gives it a
//   machine (as hcloud would create a server); its address enters the externalIPs policy and the
//   Service in the same run, so the Service waits until every apiserver enforces the new policy
//   (the real engine once saw the Service refused, 133 ms after the policy update). On the hosts
//   that were there only the mesh steps run (the engine's own list of changes says so), and no
//   container of kube-system or of the service restarts.
// - Dropping w2 from `nodes` at once is refused, naming it and the two-run way, and changes nothing.
// - Shrink, the two-run way: `leaving: true` drains w2 (its workload pod moves, the budget holds),
//   stops Kubernetes on it and deletes its keys while it is still in the mesh; then w2 is removed
//   from `nodes` and every host's mesh drops it. Its machine stays, as a Robot server's would.
import { strict as assert } from "assert";
import { diagnostics, engineSteps } from "../../engine/engine";
import { testLog } from "../../owner";
import { isRunning, records } from "../../processes";
import { eventually } from "../../run";
import { HELLO_PAGE, fromInternet } from "../checks";
import { DAY2_NS, applyProbed, assertServed, startWorkload } from "../day2";
import { cgroupPids, hostCgroups } from "../machine";
import { kubectl } from "../operator";
import { containers, restartedSince } from "../restarts";
import { cluster, hostNamed, labState, operator } from "../session";
import { LAB_STACK_FILE, sshOnHost } from "../ssh";
import { applyToLab } from "../labApply";
import { waitNodesReady } from "../up";
import { W2, withNode } from "../variants";

const NEW = W2.name;

describe("cluster 7c. growing and shrinking with pulumi up, probed", function () {
    this.timeout(20 * 60_000);

    after(async () => {
        await kubectl(operator(), ["delete", "namespace", DAY2_NS, "--ignore-not-found", "--wait=false"], { allowFail: true });
    });

    it("grow: one `pulumi up` adds w2 (a machine first); only the mesh steps run on the other hosts, nothing restarts, serving throughout; the service answers on w2's public address", async () => {
        const c = cluster();
        const existing = labState().hosts.map((h) => h.name);
        // The cluster's own pods and the public service's: none may restart for a new worker.
        const before = new Map([...(await containers())].filter(([k]) => /^(kube-system|hello)\//.test(k)));
        await startWorkload(["w1", "lab2"]);
        const { r, probes, steps } = await applyProbed(await withNode("grow-w2", W2, false));
        testLog(`pulumi up with w2: ${JSON.stringify(r.summary)} in ${r.seconds.toFixed(1)} s`);
        assert.equal(r.code, 0, `the first pulumi up failed:\n${diagnostics(r.stdout + r.stderr)}`);
        assertServed(probes, steps);
        assert.ok(r.summary.created > 0, JSON.stringify(r.summary));
        // On the hosts that were there, only their mesh step may run (one more peer, wg syncconf).
        const changed = engineSteps(r.stdout).filter((s) => s.op !== "created");
        testLog(`changed besides creates: ${changed.map((s) => `${s.op} ${s.name}`).join(", ")}`);
        const onExisting = changed.filter((s) => existing.some((h) => new RegExp(`(^|-)${h}(-|$)`).test(s.name)));
        assert.deepEqual(
            onExisting.filter((s) => !existing.some((h) => s.name === `mesh-${h}`)).map((s) => `${s.op} ${s.name}`),
            [],
            "steps ran on the existing hosts that a new worker does not need",
        );
        assert.deepEqual(
            changed.filter((s) => s.op === "deleted").map((s) => s.name),
            [],
            "a grow deleted something",
        );
        const { unexplained, leaseLost } = await restartedSince(before);
        if (leaseLost.length) testLog(`(restarted by their own lost leader lease, not by the grow: ${leaseLost.join(", ")})`);
        assert.deepEqual(unexplained, [], "containers restarted by the grow");
        await waitNodesReady(labState(), c.config);
        const w2 = hostNamed(NEW);
        const served = await eventually(async () => (await fromInternet(w2)).stdout.includes(HELLO_PAGE), 120_000, 2000);
        const last = await fromInternet(w2);
        assert.ok(served, `${NEW} [${w2.publicAddress}]:80 from the internet: exit ${last.code} ${last.stdout}${last.stderr}`);
    });

    it("dropping w2 from `nodes` at once is refused, naming it and the two-run way, and nothing changes", async () => {
        const r = await applyToLab(cluster(), LAB_STACK_FILE);
        assert.notEqual(r.code, 0, "a removal without leaving first went through");
        assert.match(diagnostics(r.stdout + r.stderr), /node "w2" was removed without leaving first: put it back with `leaving: true`/);
        const p = await cluster().engine.preview(await withNode("grown-w2", W2, false), ["--expect-no-changes"]);
        assert.equal(p.code, 0, `the refused run changed something:\n${diagnostics(p.stdout + p.stderr)}`);
    });

    it("shrink, first run: `leaving: true` drains w2 (the budget holds), stops Kubernetes on it and deletes its keys; serving throughout", async () => {
        await startWorkload(["w1", NEW]);
        const { r, probes, steps } = await applyProbed(await withNode("leave-w2", W2, true));
        testLog(`pulumi up with w2 leaving: ${JSON.stringify(r.summary)} in ${r.seconds.toFixed(1)} s`);
        assert.equal(r.code, 0, diagnostics(r.stdout + r.stderr));
        assertServed(probes, steps);
        const nodes = await kubectl(operator(), ["get", "nodes", "-o", "name"]);
        assert.doesNotMatch(nodes.stdout, new RegExp(`node/${NEW}\\b`), "w2's Node is still there");
        const w2 = hostNamed(NEW);
        const running = records().filter((x) => x.name.startsWith(`${NEW}-`) && /kubelet|containerd/.test(x.name) && isRunning(x));
        assert.deepEqual(
            running.map((x) => x.name),
            [],
            "Kubernetes still runs on w2",
        );
        assert.deepEqual(cgroupPids(hostCgroups(NEW)), [], "containers still run on w2");
        const left = await sshOnHost(w2, "find /etc/kubernetes /var/lib/kubelet /var/lib/etcd -type f 2>/dev/null; true");
        assert.equal(left.stdout.trim(), "", `files left on w2:\n${left.stdout}`);
        // Still in the mesh until the next run: lab1 has it as a peer.
        const peers = await sshOnHost(hostNamed("lab1"), "wg show wg0 endpoints");
        assert.match(peers.stdout, new RegExp(`\\[${w2.publicAddress}\\]:51820`));
    });

    it("shrink, second run: w2 removed from `nodes`; every host's mesh drops it; serving throughout", async () => {
        const { r, probes, steps } = await applyProbed(LAB_STACK_FILE);
        testLog(`pulumi up without w2: ${JSON.stringify(r.summary)} in ${r.seconds.toFixed(1)} s`);
        assert.equal(r.code, 0, diagnostics(r.stdout + r.stderr));
        assert.ok(r.summary.deleted > 0, JSON.stringify(r.summary));
        assertServed(probes, steps);
        const peers = await sshOnHost(hostNamed("lab1"), "wg show wg0 endpoints");
        assert.doesNotMatch(peers.stdout, new RegExp(`\\[${hostNamed(NEW).publicAddress}\\]`), "lab1 still has w2 as a peer");
        for (const name of ["lab2", "w1"]) {
            const q = await fromInternet(hostNamed(name));
            assert.ok(q.stdout.includes(HELLO_PAGE), `${name}: exit ${q.code} ${q.stdout}${q.stderr}`);
        }
    });
});
