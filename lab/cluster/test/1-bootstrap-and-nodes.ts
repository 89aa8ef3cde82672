// Cluster check 1: the bootstrap (including a re-run after an interruption) and the nodes.
import { strict as assert } from "assert";
import { NODE_LOCAL_APISERVER } from "../checks";
import { RERUN_LIMIT_SECONDS } from "../mocha-hooks";
import { shOnMachine } from "../machine";
import { kubectl, kubectlJson } from "../operator";
import { kubeletSettingsOf } from "../../../components/config/kubeletSettings";
import { cluster, interruptedBootstrap, labState, operator } from "../session";

interface Capacity {
    capacity: { cpu: string };
    allocatable: { cpu: string };
}

/** A CPU quantity in millicores ("2", "1800m"). */
const milli = (q: string) => (q.endsWith("m") ? Number(q.slice(0, -1)) : Math.round(Number(q) * 1000));

interface NodeList {
    items: {
        metadata: { name: string; labels?: Record<string, string> };
        spec: { taints?: { key: string; effect: string }[] };
        status: { addresses: { type: string; address: string }[]; conditions: { type: string; status: string }[] };
    }[];
}

describe("cluster 1. bootstrap and nodes", () => {
    it("re-running the first control-plane node's steps right after its first start (no other member yet) completes", () => {
        const r = interruptedBootstrap();
        assert.ok(
            r.interrupted,
            `the first pulumi up was not interrupted after ${r.host}'s start step (exit ${r.cutCode}):\n${r.cutOutput.slice(-2000)}`,
        );
        assert.equal(r.steps, 5, `the re-run replaced ${r.steps} of ${r.host}'s steps`);
        assert.equal(
            r.code,
            0,
            `the re-run on ${r.host} failed or hung (exit ${r.code} after ${r.seconds.toFixed(0)} s; limit ${RERUN_LIMIT_SECONDS} s):\n${r.output.slice(-2000)}`,
        );
        assert.ok(r.seconds < RERUN_LIMIT_SECONDS, `the re-run took ${r.seconds} s`);
        // etcd-rejoin.sh on each member at its first start: a bootstrap member is no reinstalled
        // one (it once took the name --initial-cluster gives every member for "started").
        const rejoined = `${r.cutOutput}\n${r.output}`.split("\n").filter((l) => /etcd: .*rejoining|etcd: removed the old member/.test(l));
        assert.deepEqual(rejoined, [], "a member of the first bootstrap was taken for a reinstalled one");
        assert.match(r.output, /etcd: (no other member answers: a first bootstrap|\S+ is a member that has not started yet)/);
    });

    it("every node of the stack is Ready, with its WireGuard ULA as InternalIP and no other address", async () => {
        const nodes = await kubectlJson<NodeList>(operator(), ["get", "nodes"]);
        const byName = new Map(nodes.items.map((n) => [n.metadata.name, n]));
        for (const h of labState().hosts) {
            const n = byName.get(h.name);
            assert.ok(n, `node ${h.name} is not registered`);
            assert.equal(n.status.conditions.find((c) => c.type === "Ready")?.status, "True", `${h.name} is not Ready`);
            const internal = n.status.addresses.filter((a) => a.type === "InternalIP").map((a) => a.address);
            assert.deepEqual(internal, [h.wireguardAddress], `${h.name}'s InternalIP`);
        }
        assert.equal(nodes.items.length, cluster().config.nodes.length);
    });

    it("control-plane nodes carry the node-role label (set by the cluster-wide step); none is tainted here (roles include worker)", async () => {
        const nodes = await kubectlJson<NodeList>(operator(), ["get", "nodes"]);
        for (const n of cluster().config.nodes) {
            const node = nodes.items.find((x) => x.metadata.name === n.name)!;
            const labelled = "node-role.kubernetes.io/control-plane" in (node.metadata.labels ?? {});
            assert.equal(labelled, n.roles.includes("control-plane"), `${n.name}: label`);
            assert.deepEqual(
                (node.spec.taints ?? []).filter((t) => t.key === "node-role.kubernetes.io/control-plane"),
                [],
                `${n.name}: taint`,
            );
        }
    });

    it("every kubelet runs with its node's settings (its configz): reservations, eviction, shutdown grace; w1's own block over the cluster's", async () => {
        const c = cluster().config;
        const nodes = await kubectlJson<{ items: { metadata: { name: string }; status: Capacity }[] }>(operator(), ["get", "nodes"]);
        for (const n of c.nodes) {
            const want = kubeletSettingsOf(c.cluster.kubelet, n.kubelet);
            const { kubeletconfig: got } = JSON.parse(
                (await kubectl(operator(), ["get", "--raw", `/api/v1/nodes/${n.name}/proxy/configz`])).stdout,
            ) as { kubeletconfig: Record<string, unknown> };
            assert.deepEqual(got.systemReserved, want.systemReserved, `${n.name}: systemReserved`);
            assert.deepEqual(got.kubeReserved, want.kubeReserved, `${n.name}: kubeReserved`);
            assert.deepEqual(got.evictionHard, want.evictionHard, `${n.name}: evictionHard`);
            assert.equal(got.shutdownGracePeriod, `${want.shutdownGracePeriodSeconds}s`, `${n.name}: shutdownGracePeriod`);
            assert.equal(got.shutdownGracePeriodCriticalPods, `${want.shutdownGracePeriodCriticalPodsSeconds}s`, `${n.name}: critical`);
            // What the scheduler sees: capacity less both reservations (and, for memory, the eviction threshold).
            const status = nodes.items.find((x) => x.metadata.name === n.name)!.status;
            const reservedCpu = milli(want.systemReserved.cpu ?? "0") + milli(want.kubeReserved.cpu ?? "0");
            assert.equal(milli(status.allocatable.cpu), milli(status.capacity.cpu) - reservedCpu, `${n.name}: allocatable cpu`);
        }
        assert.ok(
            c.nodes.some((n) => n.kubelet !== undefined),
            "the lab stack gives no node its own kubelet block, so the override is not checked",
        );
    });

    it("every node reaches the apiservers through its own [::1]:7445 (the node-local proxy): /readyz answers", async () => {
        for (const h of labState().hosts) {
            const r = await shOnMachine(h, `curl -fsSk --max-time 10 '${NODE_LOCAL_APISERVER}/readyz'`, { allowFail: true });
            assert.equal(r.code, 0, `${h.name}: ${r.stderr}`);
            assert.equal(r.stdout.trim(), "ok", `${h.name}: ${r.stdout}`);
        }
    });
});
