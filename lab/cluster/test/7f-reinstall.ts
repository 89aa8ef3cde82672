// Cluster check 7f: a reinstalled control-plane host (README, "Reinstall a Robot server"). lab3 is
// reinstalled (power/reinstallCluster: its etcd data, certificates, binaries and Kubernetes state
// gone, a new SSH host key) while its etcd member stays registered.
// - A run that reaches it before its `hostKey` is updated (here: a kubelet setting of lab3) fails
//   naming the host key mismatch.
// - With the new `hostKey`, one `pulumi up` (every step runs again on it) brings it back: its
//   start step finds its member started but its data gone, removes the old member and adds it
//   again (render/etcdRejoin.ts), etcd joins, the rendered manifest comes back; 3 healthy members
//   (lab3's with a new ID), its Node Ready. The apiservers serve throughout (the workload of the
//   day-2 checks is not needed: lab3 carries none of it after 7d).
import { strict as assert } from "assert";
import { YAMLSeq } from "yaml";
import { diagnostics } from "../../engine/engine";
import { testLog } from "../../owner";
import { eventually } from "../../run";
import { ETCD_MANIFEST_PATH } from "../../../components/controlplane/render/etcd";
import { ETCD_REJOIN_DIR } from "../../../components/controlplane/render/etcdRejoin";
import { etcdMemberHealth, etcdctlIn } from "../checks";
import { applyToLab, stackVariant } from "../labApply";
import { reinstallCluster } from "../power";
import { cluster, hostNamed, labState } from "../session";
import { LAB_STACK_FILE, sshOnHost, writeLabStack } from "../ssh";
import { waitNodesReady } from "../up";

const NODE = "lab3";

/** lab3's member ID as lab1's etcd lists it, or undefined. */
async function memberId(): Promise<string | undefined> {
    const r = await etcdctlIn("lab1", ["member", "list", "-w", "simple"]);
    assert.equal(r.code, 0, `member list on lab1: ${r.stdout}${r.stderr}`);
    return r.stdout
        .split("\n")
        .map((l) => l.split(", "))
        .find((f) => f[2] === NODE)?.[0];
}

describe("cluster 7f. a reinstalled control-plane host rejoins etcd through pulumi up", function () {
    this.timeout(20 * 60_000);
    let oldId: string | undefined;

    it("a run that reaches the reinstalled host before its hostKey is updated fails, naming the host key mismatch", async () => {
        oldId = await memberId();
        assert.ok(oldId, `${NODE} is no etcd member before its reinstall`);
        await reinstallCluster(hostNamed(NODE));
        const touchesIt = stackVariant("reinstalled-lab3-old-key", (doc, key) => {
            const nodes = doc.getIn(["config", key("nodes")]) as YAMLSeq;
            const i = (doc.toJS().config[key("nodes")] as { name: string }[]).findIndex((n) => n.name === NODE);
            assert.ok(i >= 0 && nodes);
            doc.setIn(["config", key("nodes"), i, "kubelet"], { shutdownGracePeriodSeconds: 31 });
        });
        const r = await applyToLab(cluster(), touchesIt);
        testLog(`pulumi up with ${NODE}'s old hostKey: exit ${r.code} in ${r.seconds.toFixed(1)} s`);
        assert.notEqual(r.code, 0, "pulumi up reached the reinstalled host with its old host key and succeeded");
        assert.match(r.stdout + r.stderr, /host key mismatch/, diagnostics(r.stdout + r.stderr));
    });

    it("with its new hostKey one pulumi up brings it back: a new etcd member, 3 healthy, its Node Ready, its manifest as rendered", async () => {
        const file = await writeLabStack(LAB_STACK_FILE, labState().hosts, { only: [NODE] });
        const r = await applyToLab(cluster(), file);
        testLog(`pulumi up with ${NODE}'s new hostKey: ${JSON.stringify(r.summary)} in ${r.seconds.toFixed(1)} s`);
        assert.equal(r.code, 0, `pulumi up failed:\n${diagnostics(r.stdout + r.stderr)}`);
        let last = "";
        const healthy = await eventually(
            async () => {
                const h = await etcdMemberHealth("lab1");
                last = h.raw;
                return h.members !== null && h.members.length === 3 && h.members.every((m) => m.health);
            },
            180_000,
            5000,
        );
        assert.ok(healthy, `etcd does not report 3 healthy members: ${last}`);
        const newId = await memberId();
        assert.ok(newId && newId !== oldId, `${NODE}'s member is ${newId}, before the reinstall ${oldId}: not rejoined as a new member`);
        await waitNodesReady(labState(), cluster().config);
        const m = await sshOnHost(
            hostNamed(NODE),
            `grep -c -- '--initial-cluster-state=new$' ${ETCD_MANIFEST_PATH}; ls -A ${ETCD_REJOIN_DIR}`,
        );
        assert.equal(m.stdout.trim(), "1", `${NODE}'s etcd manifest is not the rendered one, or the rejoin left state: ${m.stdout}`);
    });
});
