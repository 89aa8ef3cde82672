// etcd membership changes in the rendered manifests: a member joining or leaving must not change
// the manifests of the running members (the kubelet restarts a static pod whose manifest changed:
// every member at once, possibly while the new one is not up, loses the quorum), and a joining
// member's --initial-cluster must be exactly the membership after its `member add`.
import { DEFAULT_KUBELET } from "../../components/config/kubeletSettings";
import { strict as assert } from "assert";
import { parse } from "yaml";
import { APISERVER_MANIFEST_PATH } from "../../components/controlplane/render/apiserver";
import { ETCD_MANIFEST_PATH } from "../../components/controlplane/render/etcd";
import { EtcdMembershipInput, clusterFacts, nodeFacts } from "../../components/controlplane/facts";
import { kubernetesFiles } from "../../components/controlplane/render/files";
import { planCluster } from "../../components/network/plan";
import { Prefix, formatV6 } from "../../components/network/prefix";

const ULA = Prefix.parse("fd8a:31c2:7c1f:1::/64");
const cp = (name: string, index: number) => ({
    name,
    index,
    roles: ["control-plane"],
    gua: Prefix.parse(`2001:db8:a:${index}::/64`),
    ipv4: false,
});

/** The manifests of every control-plane node of `names` (config order), with `etcd` joining/leaving. */
function manifests(names: readonly string[], etcd: EtcdMembershipInput): Map<string, { etcd: string; apiserver: string }> {
    const plan = planCluster(
        ULA,
        undefined,
        names.map((n) => cp(n, Number(n.slice(2)))),
    );
    const facts = clusterFacts({ kubernetesVersion: "1.34.2", registryMirrors: {} }, plan, etcd);
    const out = new Map<string, { etcd: string; apiserver: string }>();
    for (const n of plan.nodes) {
        if (etcd.leaving.includes(n.name)) continue;
        const files = kubernetesFiles(facts, nodeFacts(n, formatV6(n.gua!.address(2)), false, DEFAULT_KUBELET), {
            etcdClusterState: etcd.joining.includes(n.name) ? "existing" : "new",
        });
        out.set(n.name, { etcd: files.get(ETCD_MANIFEST_PATH)!.content, apiserver: files.get(APISERVER_MANIFEST_PATH)!.content });
    }
    return out;
}

function flag(manifest: string, name: string): string {
    const command = (parse(manifest, { version: "1.1" }) as { spec: { containers: { command: string[] }[] } }).spec.containers[0].command;
    const f = command.find((a) => a.startsWith(`--${name}=`));
    assert.ok(f, `no --${name}`);
    return f.slice(name.length + 3);
}

const initialNames = (manifest: string) =>
    flag(manifest, "initial-cluster")
        .split(",")
        .map((m) => m.slice(0, m.indexOf("=")));

describe("etcd membership in the manifests", () => {
    it("a bootstrap member lists the bootstrap members; a joining one those and the joining ones up to itself (by index, not config order)", () => {
        const m = manifests(["cp1", "cp2", "cp3", "cp5", "cp4"], { joining: ["cp5", "cp4"], leaving: [] });
        for (const n of ["cp1", "cp2", "cp3"]) assert.deepEqual(initialNames(m.get(n)!.etcd), ["cp1", "cp2", "cp3"]);
        assert.deepEqual(initialNames(m.get("cp4")!.etcd), ["cp1", "cp2", "cp3", "cp4"]);
        assert.deepEqual(initialNames(m.get("cp5")!.etcd), ["cp1", "cp2", "cp3", "cp4", "cp5"]);
        assert.equal(flag(m.get("cp4")!.etcd, "initial-cluster-state"), "existing");
        assert.equal(flag(m.get("cp1")!.etcd, "initial-cluster-state"), "new");
    });

    it("a member joining changes no running member's etcd or apiserver manifest (1-3 bootstrap members, 0-2 joined before)", () => {
        for (let bootstrap = 1; bootstrap <= 3; bootstrap++) {
            for (let joined = 0; joined <= 2; joined++) {
                const names = Array.from({ length: bootstrap + joined }, (_, i) => `cp${i + 1}`);
                const joining = names.slice(bootstrap);
                const before = manifests(names, { joining, leaving: [] });
                const next = `cp${names.length + 1}`;
                const after = manifests([...names, next], { joining: [...joining, next], leaving: [] });
                for (const n of names) assert.deepEqual(after.get(n), before.get(n), `${n}'s manifests changed when ${next} joined`);
            }
        }
    });

    it("a member leaving changes no manifest of the others in its leaving run; the next run drops it from the bootstrap list", () => {
        const names = ["cp1", "cp2", "cp3", "cp4"];
        const before = manifests(names, { joining: ["cp4"], leaving: [] });
        const leavingRun = manifests(names, { joining: ["cp4"], leaving: ["cp2"] });
        for (const n of ["cp1", "cp3", "cp4"]) assert.deepEqual(leavingRun.get(n), before.get(n), `${n} changed while cp2 left`);
        const removed = manifests(["cp1", "cp3", "cp4"], { joining: ["cp4"], leaving: [] });
        assert.deepEqual(initialNames(removed.get("cp1")!.etcd), ["cp1", "cp3"]);
        assert.deepEqual(initialNames(removed.get("cp4")!.etcd), ["cp1", "cp3", "cp4"]);
        assert.equal(removed.get("cp1")!.apiserver, before.get("cp1")!.apiserver, "an apiserver restarts for a member change");
    });

    it("a joined member leaving (joinEtcd kept) changes nothing for the others in its leaving run", () => {
        const names = ["cp1", "cp2", "cp3", "cp4", "cp5"];
        const before = manifests(names, { joining: ["cp4", "cp5"], leaving: [] });
        const leavingRun = manifests(names, { joining: ["cp4", "cp5"], leaving: ["cp4"] });
        for (const n of ["cp1", "cp2", "cp3", "cp5"]) assert.deepEqual(leavingRun.get(n), before.get(n), `${n} changed while cp4 left`);
        const removed = manifests(["cp1", "cp2", "cp3", "cp5"], { joining: ["cp5"], leaving: [] });
        for (const n of ["cp1", "cp2", "cp3"]) assert.deepEqual(removed.get(n), before.get(n), `${n} changed when cp4 was removed`);
        assert.deepEqual(initialNames(removed.get("cp5")!.etcd), ["cp1", "cp2", "cp3", "cp5"]);
    });

    it("an apiserver reaches etcd through its own member only", () => {
        const m = manifests(["cp1", "cp2", "cp3"], { joining: [], leaving: [] });
        for (const [, x] of m) assert.equal(flag(x.apiserver, "etcd-servers"), "https://[::1]:2379");
    });
});
