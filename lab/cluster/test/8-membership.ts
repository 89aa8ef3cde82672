// Cluster check 8: node membership, with the scripts the program sends as the create and delete of
// `k8s-<node>-etcd-member` and `k8s-<node>-membership` (components/controlplane/render/), run on
// the host their connection targets (membershipAnchor: lab1), as pulumi-command would.
// - Against the real etcd 3.6: a present member is not added again, an absent one is "already
//   removed" (the `-w simple` parsing meets the real output), and with lab3 powered off, removing
//   lab2 is refused (1 of the 2 left healthy) with nothing changed.
// - Removing the worker w1: its kubelet stops first (in production the mesh has cut it off by the
//   time pulumi runs the delete), then the delete drains it and deletes its Node; a workload with a
//   pod on every node (and a PodDisruptionBudget) is whole again on the other three, and running
//   the delete again is a no-op. (The cluster services are gone since check 6's pulumi destroy.)
// Runs just before the teardown: w1 stays removed.
import { strict as assert } from "assert";
import { APISERVER_PROXY_PORT } from "../../../components/controlplane/render/defaults";
import { etcdClientUrl, etcdPeerUrl } from "../../../components/controlplane/render/etcd";
import { renderAddEtcdMember, renderRemoveEtcdMember } from "../../../components/controlplane/render/etcdMembers";
import { membershipAnchor, renderRemoveNode } from "../../../components/controlplane/render/nodeRemoval";
import { testLog } from "../../owner";
import { RunResult, eventually } from "../../run";
import type { LabHost } from "../../state";
import { PodList, etcdMemberHealth, etcdctlIn } from "../checks";
import { shOnMachine } from "../machine";
import { sshOnHost } from "../ssh";
import { kubectl, kubectlJson } from "../operator";
import { powerOffCluster, powerOnCluster } from "../power";
import { cluster, hostNamed, labState, operator } from "../session";
import { TOOLBOX_IMAGE } from "../toolchain";
import { waitNodesReady } from "../up";
interface Deployment {
    status: { replicas?: number; availableReplicas?: number; updatedReplicas?: number };
}

const NS = "membership-check";

/** Four pods spread one per node (w1 included), and a budget that allows one of them down. */
function spreadWorkload(): object[] {
    const labels = { app: "spread" };
    return [
        { apiVersion: "v1", kind: "Namespace", metadata: { name: NS } },
        {
            apiVersion: "apps/v1",
            kind: "Deployment",
            metadata: { name: "spread", namespace: NS },
            spec: {
                replicas: 4,
                selector: { matchLabels: labels },
                template: {
                    metadata: { labels },
                    spec: {
                        topologySpreadConstraints: [
                            {
                                maxSkew: 1,
                                topologyKey: "kubernetes.io/hostname",
                                whenUnsatisfiable: "DoNotSchedule",
                                labelSelector: { matchLabels: labels },
                            },
                        ],
                        containers: [{ name: "httpd", image: TOOLBOX_IMAGE, args: ["httpd", "-f", "-p", "8080", "-h", "/www"] }],
                    },
                },
            },
        },
        {
            apiVersion: "policy/v1",
            kind: "PodDisruptionBudget",
            metadata: { name: "spread", namespace: NS },
            spec: { minAvailable: 3, selector: { matchLabels: labels } },
        },
    ];
}

/** Where the program runs `node`'s membership commands. */
function anchorOf(node: string): LabHost {
    const nodes = cluster().config.nodes.map((n) => ({
        name: n.name,
        controlPlane: n.roles.includes("control-plane"),
        joining: n.joinEtcd,
    }));
    return hostNamed(membershipAnchor(node, nodes));
}

/** The host as etcd knows it: its name and mesh address. */
const meshMember = (name: string) => ({ name, meshAddress: hostNamed(name).wireguardAddress });
const member = (name: string) => ({ name, peerUrl: etcdPeerUrl(meshMember(name)) });
/** The rendered text over SSH, as pulumi-command runs a delete (or create) on the anchor. */
const onAnchor = (node: string, script: string): Promise<RunResult> =>
    sshOnHost(anchorOf(node), script, { allowFail: true, timeoutMs: 15 * 60_000 });
const show = (r: RunResult) => `exit ${r.code}\n${r.stdout}\n${r.stderr}`;

/** `etcdctl member list` in lab1's etcd pod, as the operator sees it. */
async function memberNames(): Promise<string[]> {
    const r = await etcdctlIn("lab1", ["member", "list", "-w", "simple"]);
    if (r.code !== 0) throw new Error(`etcdctl member list in etcd-lab1: ${r.stderr}`);
    return r.stdout
        .trim()
        .split("\n")
        .map((l) => l.split(", ")[2])
        .sort();
}

describe("cluster 8. membership: etcd members and removing a node", () => {
    it("the etcd member scripts against the real etcd: a present member is not added again, an absent one is already removed", async function () {
        this.timeout(5 * 60_000);
        assert.equal(anchorOf("lab2").name, "lab1");
        assert.equal(anchorOf("lab1").name, "lab2");
        const before = await memberNames();
        assert.deepEqual(before, ["lab1", "lab2", "lab3"]);
        const add = await onAnchor("lab2", renderAddEtcdMember(member("lab2"), "lab1"));
        assert.equal(add.code, 0, show(add));
        assert.match(add.stdout, /^etcd: lab2 is already a member \(started\): nothing to add$/m, show(add));
        assert.match(add.stdout, /^ {2}member: [0-9a-f]+, started, lab3, https:\/\/\[/m, "the member list as etcd prints it");
        // A member nobody has: its mesh address is unused (index 200).
        const ghost = { name: "ghost", peerUrl: etcdPeerUrl({ name: "ghost", meshAddress: "fd6c:6162:0:1:c8::1" }) };
        const remove = await onAnchor("lab2", renderRemoveEtcdMember(ghost, "lab1", { proxyPort: APISERVER_PROXY_PORT }));
        assert.equal(remove.code, 0, show(remove));
        assert.match(remove.stdout, /^etcd: ghost is not a member \(already removed\): nothing to remove$/m);
        assert.deepEqual(await memberNames(), before);
    });

    it("with lab3 off, removing lab2 is refused (1 of the 2 members left healthy) and changes nothing; lab3 comes back", async function () {
        this.timeout(15 * 60_000);
        const state = labState();
        const lab3 = hostNamed("lab3");
        powerOffCluster(lab3);
        try {
            const r = await onAnchor("lab2", renderRemoveEtcdMember(member("lab2"), "lab1", { proxyPort: APISERVER_PROXY_PORT }));
            assert.equal(r.code, 1, show(r));
            assert.match(
                r.stderr,
                /^etcd: refusing to remove member lab2: 2 members would be left, 1 of them healthy, and etcd needs 2 of them for a quorum/m,
                show(r),
            );
            assert.ok(r.stdout.includes(`health: ${etcdClientUrl(meshMember("lab3"))} is unhealthy`), show(r));
        } finally {
            await powerOnCluster(lab3);
        }
        await waitNodesReady(state, cluster().config, 600_000);
        assert.deepEqual(await memberNames(), ["lab1", "lab2", "lab3"]);
        let last = "";
        const healthy = await eventually(
            async () => {
                const h = await etcdMemberHealth("lab1");
                last = h.raw;
                return h.members !== null && h.members.filter((m) => m.health).length === 3;
            },
            180_000,
            5000,
        );
        assert.ok(healthy, `etcd is not healthy again: ${last}`);
    });

    it("removing the worker w1: drained (its kubelet gone) and its Node deleted from lab1; its pod runs elsewhere, within its budget; a re-run is a no-op", async function () {
        this.timeout(20 * 60_000);
        const c = operator();
        const w1 = hostNamed("w1");
        assert.equal(anchorOf("w1").name, "lab1");
        // The cluster services are gone since check 6 (pulumi destroy): a workload of our own, one
        // pod per node (w1 included) and a budget that allows one pod down.
        // Right after lab3's power cycle (the check above) an apiserver may still find its etcd
        // connection to lab3 reset once: apply (idempotent) until it takes, for up to two minutes.
        const input = JSON.stringify({ apiVersion: "v1", kind: "List", items: spreadWorkload() });
        let applied = await kubectl(c, ["apply", "-f", "-"], { input, allowFail: true });
        await eventually(
            async () => applied.code === 0 || (applied = await kubectl(c, ["apply", "-f", "-"], { input, allowFail: true })).code === 0,
            120_000,
            3000,
        );
        assert.equal(applied.code, 0, show(applied));
        const rollout = async () =>
            kubectl(c, ["-n", NS, "rollout", "status", "deployment/spread", "--timeout=300s"], { allowFail: true, timeoutMs: 310_000 });
        const first = await rollout();
        assert.equal(first.code, 0, show(first));
        const podsOn = async (node: string) =>
            (await kubectlJson<PodList>(c, ["get", "pods", "-A", "--field-selector", `spec.nodeName=${node}`])).items;
        assert.ok(
            (await podsOn("w1")).some((p) => p.metadata.namespace === NS),
            "a spread pod runs on w1",
        );
        // As pulumi up has it: the node is cut off before its delete runs, so nothing on it answers.
        const stop = await shOnMachine(w1, "systemctl stop kubelet.service", { allowFail: true });
        assert.equal(stop.code, 0, show(stop));

        const t0 = Date.now();
        const r = await onAnchor("w1", renderRemoveNode("w1", "lab1", { proxyPort: APISERVER_PROXY_PORT }));
        assert.equal(r.code, 0, show(r));
        assert.match(r.stdout, /^node w1: removing it from the cluster, from lab1$/m);
        // kubectl's own lines (stdout or stderr, by kubectl's choice).
        assert.match(`${r.stdout}${r.stderr}`, /^node\/w1 cordoned$/m, show(r));
        assert.match(`${r.stdout}${r.stderr}`, new RegExp(`^evicting pod ${NS}/spread-`, "m"), show(r));
        assert.match(r.stdout, /^node w1: drained and deleted$/m);
        testLog(`(the removal of w1 took ${((Date.now() - t0) / 1000).toFixed(0)} s)`);

        const gone = await kubectl(c, ["get", "node", "w1", "--ignore-not-found", "-o", "name"]);
        assert.equal(gone.stdout.trim(), "", "the Node w1 is deleted");
        // The pod garbage collector removes what was left bound to the deleted Node.
        assert.ok(await eventually(async () => (await podsOn("w1")).length === 0, 180_000, 5000), "pods are still bound to w1");
        const ready = await kubectl(c, ["wait", "--for=condition=Ready", "--timeout=300s", "node/lab1", "node/lab2", "node/lab3"], {
            allowFail: true,
            timeoutMs: 310_000,
        });
        assert.equal(ready.code, 0, show(ready));
        const again = await rollout();
        assert.equal(again.code, 0, `the workload is whole again on the three nodes left: ${show(again)}`);
        const d = await kubectlJson<Deployment>(c, ["-n", NS, "get", "deployment", "spread"]);
        assert.equal(d.status.availableReplicas, 4, JSON.stringify(d.status));

        const rerun = await onAnchor("w1", renderRemoveNode("w1", "lab1", { proxyPort: APISERVER_PROXY_PORT }));
        assert.equal(rerun.code, 0, show(rerun));
        assert.match(rerun.stdout, /^node w1: no Node object \(already removed\): nothing to do$/m);
    });
});
