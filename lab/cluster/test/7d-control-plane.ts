// Cluster check 7d: growing and shrinking etcd and the control plane by stack edits and `pulumi up`
// (lab:apply), with the workload and the apiservers probed once a second from lab1 (day2.ts).
// - Grow: cp4, a control-plane node with `joinEtcd: true`, in one run. Its `member add` runs on
//   lab1, its etcd joins and is healthy before the run goes on; on lab1..lab3 no etcd member, no
//   apiserver and no node-local apiserver proxy restarts (the first two's manifests do not change:
//   render/etcd.ts; the proxies reload their new backends: render/apiserverProxyReload.ts). etcd
//   ends with 4 healthy members.
// - Shrink, the two-run way: `leaving: true` on cp4 removes its etcd member (quorum checked), drains
//   it and wipes it, while it is still in the mesh; etcd ends with 3 healthy members, and again no
//   member, apiserver or proxy of lab1..lab3 restarted. Then cp4 is removed from `nodes`.
import { strict as assert } from "assert";
import { diagnostics } from "../../engine/engine";
import { testLog } from "../../owner";
import { eventually } from "../../run";
import { etcdMemberHealth } from "../checks";
import { DAY2_NS, applyProbed, assertServed, startWorkload } from "../day2";
import { cgroupPids, hostCgroups } from "../machine";
import { kubectl } from "../operator";
import { containers, restartedSince } from "../restarts";
import { cluster, hostNamed, labState, operator } from "../session";
import { LAB_STACK_FILE, sshOnHost } from "../ssh";
import { waitNodesReady } from "../up";
import { CP4, withNode } from "../variants";

const NEW = CP4.name;
const STAYING = ["lab1", "lab2", "lab3"];

/** The etcd, kube-apiserver and apiserver-proxy containers of lab1..lab3: these must never restart here. */
async function controlPlaneContainers(): Promise<Map<string, string>> {
    const re = new RegExp(`^kube-system/(etcd|kube-apiserver|apiserver-proxy)-(${STAYING.join("|")})/`);
    return new Map([...(await containers())].filter(([k]) => re.test(k)));
}

/** Waits until etcd (asked on lab1) reports `n` members, every one healthy; returns the last answer. */
async function etcdHealthy(n: number): Promise<{ ok: boolean; last: string }> {
    let last = "";
    const ok = await eventually(
        async () => {
            const h = await etcdMemberHealth("lab1");
            last = h.raw;
            return h.members !== null && h.members.length === n && h.members.every((m) => m.health);
        },
        180_000,
        5000,
    );
    return { ok, last };
}

/** `lab:apply` of `file`, probed: it succeeds and the workload and the apiservers keep serving. */
async function appliedAndServed(file: string, what: string): Promise<void> {
    const { r, probes, steps } = await applyProbed(file);
    testLog(`pulumi up ${what}: ${JSON.stringify(r.summary)} in ${r.seconds.toFixed(1)} s`);
    assert.equal(r.code, 0, `pulumi up failed:\n${diagnostics(r.stdout + r.stderr)}`);
    assertServed(probes, steps);
}

/** etcd (asked on lab1) reports `n` members, every one healthy, within 3 minutes. */
async function assertEtcdHealthy(n: number): Promise<void> {
    const health = await etcdHealthy(n);
    assert.ok(health.ok, `etcd does not report ${n} healthy members: ${health.last}`);
}

describe("cluster 7d. growing and shrinking the control plane (etcd) with pulumi up, probed", function () {
    this.timeout(25 * 60_000);

    before(async () => {
        // Check 7c's workload namespace may still be going.
        await kubectl(operator(), ["wait", "--for=delete", `namespace/${DAY2_NS}`, "--timeout=180s"], {
            allowFail: true,
            timeoutMs: 190_000,
        });
        await startWorkload(["w1", "lab2"]);
    });

    after(async () => {
        await kubectl(operator(), ["delete", "namespace", DAY2_NS, "--ignore-not-found", "--wait=false"], { allowFail: true });
    });

    it("grow: cp4 joins etcd in one run (4 healthy members); no etcd member, apiserver or proxy of lab1..lab3 restarts; serving throughout", async () => {
        const before = await controlPlaneContainers();
        await appliedAndServed(await withNode("grow-cp4", CP4, false), "with cp4 joining");
        await waitNodesReady(labState(), cluster().config);
        await assertEtcdHealthy(4);
        const { unexplained } = await restartedSince(before);
        assert.deepEqual(unexplained, [], "etcd members, apiservers or proxies of lab1..lab3 restarted for cp4's join");
    });

    it("shrink, first run: `leaving: true` removes cp4's etcd member (3 healthy left), drains and wipes it; nothing of lab1..lab3 restarts", async () => {
        const before = await controlPlaneContainers();
        await appliedAndServed(await withNode("leave-cp4", CP4, true), "with cp4 leaving");
        await assertEtcdHealthy(3);
        const nodes = await kubectl(operator(), ["get", "nodes", "-o", "name"]);
        assert.doesNotMatch(nodes.stdout, new RegExp(`node/${NEW}\\b`), "cp4's Node is still there");
        assert.deepEqual(cgroupPids(hostCgroups(NEW)), [], "containers still run on cp4");
        const left = await sshOnHost(hostNamed(NEW), "find /etc/kubernetes /var/lib/kubelet /var/lib/etcd -type f 2>/dev/null; true");
        assert.equal(left.stdout.trim(), "", `files left on cp4:\n${left.stdout}`);
        const { unexplained } = await restartedSince(before);
        assert.deepEqual(unexplained, [], "etcd members, apiservers or proxies of lab1..lab3 restarted for cp4's removal");
    });

    it("shrink, second run: cp4 removed from `nodes`; etcd keeps 3 healthy members; serving throughout", async () => {
        const before = await controlPlaneContainers();
        await appliedAndServed(LAB_STACK_FILE, "without cp4");
        await assertEtcdHealthy(3);
        const { unexplained } = await restartedSince(before);
        assert.deepEqual(unexplained, [], "etcd members, apiservers or proxies of lab1..lab3 restarted");
    });
});
