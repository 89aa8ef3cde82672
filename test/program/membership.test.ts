// Removing nodes under Pulumi mocks: every node has a command whose delete drains it and deletes its
// Node, every control-plane node one whose delete removes its etcd member (and whose create adds a
// joining one); both run on another control-plane node, are never replaced, and are deleted before
// the node's server. The scripts themselves run in test/controlplane/membership.test.ts.
import { strict as assert } from "assert";
import { APISERVER_PROXY_PORT } from "../../components/controlplane/render/defaults";
import { etcdPeerUrl } from "../../components/controlplane/render/etcd";
import { renderAddEtcdMember, renderRemoveEtcdMember } from "../../components/controlplane/render/etcdMembers";
import { renderLeaveNode } from "../../components/controlplane/render/leave";
import { renderRemoveNode, renderTeardownNotice } from "../../components/controlplane/render/nodeRemoval";
import { NOTHING_TO_REAPPLY } from "../../components/hosts/render/commands";
import { RawConfig, baseConfig, dedicated, hcloud } from "../support/fixtures";
import { decodeInstalledFiles } from "../support/decodeFiles";
import { OutputsFor, RecordedResource, resolve, runProgram } from "../support/pulumiMocks";
import { sharedRun } from "../support/sharedRuns";
import { resourceNamed as get, unwrapSecret as unwrap } from "../support/recorded";

const hostOf = (r: RecordedResource) => (unwrap(r.inputs.connection) as { host: string }).host;
/** The address a host's own steps connect to. */
const addressOf = (rs: readonly RecordedResource[], node: string) => hostOf(get(rs, `node-${node}-files`));
const mesh = (i: number) => `fd8a:31c2:7c1f:1:${i}::1`;
const removeNode = (name: string, anchor: string) => renderRemoveNode(name, anchor, { proxyPort: APISERVER_PROXY_PORT });
const removeMember = (name: string, i: number, anchor: string) =>
    renderRemoveEtcdMember({ name, peerUrl: etcdPeerUrl({ name, meshAddress: mesh(i) }) }, anchor, { proxyPort: APISERVER_PROXY_PORT });

/** baseConfig with an hcloud control-plane node first: the anchor of the others, with a server to delete. */
function withHcloudControlPlane(): RawConfig {
    const raw = baseConfig();
    raw.nodes[0] = hcloud("cp1", 1, ["control-plane"]);
    return raw;
}

describe("removing nodes: membership commands under Pulumi mocks", function () {
    this.timeout(180_000);
    let base: RecordedResource[];
    before(async () => {
        base = (await sharedRun(baseConfig())).resources;
    });

    it("every node has k8s-<node>-membership: its delete drains it and deletes its Node, on cp1 (cp1's own on cp2)", () => {
        for (const [n, anchor] of [
            ["cp1", "cp2"],
            ["cp2", "cp1"],
            ["cp3", "cp1"],
            ["w1", "cp1"],
            ["w2", "cp1"],
        ]) {
            const m = get(base, `k8s-${n}-membership`);
            assert.equal(m.inputs.delete, removeNode(n, anchor), `${n}: delete`);
            assert.equal(hostOf(m), addressOf(base, anchor), `${n}: runs on ${anchor}`);
            assert.equal(m.inputs.create, undefined, `${n}: nothing to do at creation`);
            assert.equal(m.inputs.update, NOTHING_TO_REAPPLY, `${n}: a changed connection or script runs nothing`);
            assert.equal(m.inputs.triggers, undefined, `${n}: never replaced (a replacement would drain it)`);
        }
    });

    it("every control-plane node has k8s-<node>-etcd-member: its delete removes the member on another member; workers have none", () => {
        for (const [n, i, anchor] of [
            ["cp1", 1, "cp2"],
            ["cp2", 2, "cp1"],
            ["cp3", 3, "cp1"],
        ] as const) {
            const e = get(base, `k8s-${n}-etcd-member`);
            assert.equal(e.inputs.delete, removeMember(n, i, anchor), `${n}: delete`);
            assert.equal(hostOf(e), addressOf(base, anchor), `${n}: runs on ${anchor}`);
            assert.equal(e.inputs.create, undefined, `${n}: a member of the initial cluster is added by nothing`);
            assert.equal(e.inputs.update, NOTHING_TO_REAPPLY);
            assert.equal(e.inputs.triggers, undefined);
        }
        assert.ok(!base.some((r) => /^k8s-w\d-etcd-member$/.test(r.name)));
    });

    it("deletion order: the etcd member first (a refusal changes nothing), then the drain, both before the server; one member change at a time", async () => {
        const { resources } = await sharedRun(withHcloudControlPlane());
        // Pulumi deletes a resource before those it depends on.
        assert.ok(get(resources, "k8s-cp1-membership").dependsOn.includes("hcloud-cp1"), "cp1's membership goes before its server");
        assert.ok(get(resources, "k8s-w2-membership").dependsOn.includes("hcloud-w2"), "w2's membership goes before its server");
        assert.ok(get(resources, "k8s-cp1-etcd-member").dependsOn.includes("k8s-cp1-membership"), "the etcd member goes before the drain");
        // The anchor's server stays until what runs on it is done.
        assert.match(addressOf(resources, "cp1"), /^2001:db8:c0de:/, "cp1 is an hcloud server");
        assert.equal(hostOf(get(resources, "k8s-w1-membership")), addressOf(resources, "cp1"), "w1's membership runs on cp1");
        assert.ok(get(resources, "k8s-w1-membership").dependsOn.includes("hcloud-cp1"));
        // Created before the node's files (its `member add`: etcd's manifest), after the previous control-plane node started.
        assert.ok(get(resources, "k8s-cp1-files").dependsOn.includes("k8s-cp1-etcd-member"));
        assert.ok(get(resources, "k8s-cp2-etcd-member").dependsOn.includes("k8s-cp1-start"));
        assert.ok(get(resources, "k8s-cp3-etcd-member").dependsOn.includes("k8s-cp2-start"));
    });

    it("a joining control-plane node: `member add` at creation, on the first member that is not joining, before its steps", async () => {
        const raw = baseConfig();
        raw.nodes.push(dedicated("cp4", 4, ["control-plane"], "2001:db8:a:4::/64", { joinEtcd: true }));
        const { resources } = await sharedRun(raw);
        const e = get(resources, "k8s-cp4-etcd-member");
        assert.equal(e.inputs.create, renderAddEtcdMember({ name: "cp4", peerUrl: `https://[${mesh(4)}]:2380` }, "cp1"));
        assert.equal(hostOf(e), addressOf(resources, "cp1"));
        assert.ok(get(resources, "k8s-cp4-files").dependsOn.includes("k8s-cp4-etcd-member"));
        assert.ok(!e.dependsOn.some((d) => /^k8s-cp\d-start$/.test(d)), "the joiner goes first");
        // A worker's or an existing member's anchor is never the joiner.
        assert.equal(hostOf(get(resources, "k8s-w1-membership")), addressOf(resources, "cp1"));
    });

    it("a member joining, then leaving (joinEtcd kept): the running members' etcd and apiserver manifests never change", async () => {
        const manifests = (rs: readonly RecordedResource[], node: string) => {
            const files = decodeInstalledFiles(String(get(rs, `k8s-${node}-files`).inputs.create));
            return ["/etc/kubernetes/manifests/etcd.yaml", "/etc/kubernetes/manifests/kube-apiserver.yaml"].map(
                (p) => files.get(p)?.content,
            );
        };
        const joined = baseConfig();
        joined.nodes.push(dedicated("cp4", 4, ["control-plane"], "2001:db8:a:4::/64", { joinEtcd: true }));
        const leavingRaw = baseConfig();
        leavingRaw.nodes.push(dedicated("cp4", 4, ["control-plane"], "2001:db8:a:4::/64", { joinEtcd: true, leaving: true }));
        const [withCp4, leaving] = [(await sharedRun(joined)).resources, (await sharedRun(leavingRaw)).resources];
        for (const n of ["cp1", "cp2", "cp3"]) {
            const was = manifests(base, n);
            assert.ok(
                was.every((m) => m !== undefined),
                `${n}: no manifests decoded`,
            );
            assert.deepEqual(manifests(withCp4, n), was, `${n}'s manifests changed when cp4 joined`);
            assert.deepEqual(manifests(leaving, n), was, `${n}'s manifests changed while cp4 left`);
        }
        assert.ok(!leaving.some((r) => r.name.startsWith("k8s-cp4-")), "cp4's Kubernetes steps are deleted: their deletes run");
    });

    it("adding a worker changes no membership command; removing cp1 only moves the others' to cp2 (an update: connection and text)", async () => {
        const grown = baseConfig();
        grown.nodes.push(dedicated("w3", 13, ["worker"], "2001:db8:b:3::/64"));
        const after = (await sharedRun(grown)).resources;
        for (const r of base.filter((x) => /-(membership|etcd-member)$/.test(x.name))) {
            assert.deepEqual(get(after, r.name).inputs, r.inputs, `${r.name} changed`);
        }
        // cp1 leaves; cp4 (joining) keeps the control-plane count odd.
        const withJoiner = baseConfig();
        withJoiner.nodes.push(dedicated("cp4", 4, ["control-plane"], "2001:db8:a:4::/64", { joinEtcd: true }));
        const before = (await sharedRun(withJoiner)).resources;
        const shrunk = baseConfig();
        shrunk.nodes.push(dedicated("cp4", 4, ["control-plane"], "2001:db8:a:4::/64", { joinEtcd: true }));
        shrunk.nodes.splice(0, 1);
        const later = (await sharedRun(shrunk)).resources;
        assert.ok(!later.some((r) => r.name.startsWith("k8s-cp1-")), "cp1's commands are deleted: their deletes run");
        for (const n of ["w1", "w2", "cp3"]) {
            const [was, is] = [get(before, `k8s-${n}-membership`), get(later, `k8s-${n}-membership`)];
            assert.equal(hostOf(was), addressOf(before, "cp1"));
            assert.equal(hostOf(is), addressOf(later, "cp2"), `${n} now runs on cp2`);
            assert.equal(is.inputs.delete, removeNode(n, "cp2"));
            assert.deepEqual([is.inputs.triggers, is.inputs.update], [undefined, NOTHING_TO_REAPPLY], `${n}: an update that runs nothing`);
        }
    });

    it("every node has k8s-<node>-leave on its own connection: its delete stops Kubernetes there and wipes its keys, after the drain", () => {
        for (const n of ["cp1", "cp3", "w1", "w2"]) {
            const l = get(base, `k8s-${n}-leave`);
            assert.equal(l.inputs.delete, renderLeaveNode(n));
            assert.equal(hostOf(l), addressOf(base, n), `${n}: on the node itself`);
            assert.deepEqual([l.inputs.create, l.inputs.triggers, l.inputs.update], [undefined, undefined, NOTHING_TO_REAPPLY]);
            // Pulumi deletes dependents first: the drain (membership) before the wipe (leave).
            assert.ok(get(base, `k8s-${n}-membership`).dependsOn.includes(`k8s-${n}-leave`), `${n}: drained before it is wiped`);
        }
    });

    it("leaving: true keeps the node a host (network, mesh peer, DNS) but declares none of its Kubernetes resources: their deletes run", async () => {
        const raw = baseConfig();
        raw.nodes.find((n) => n.name === "w1")!.leaving = true;
        const { resources, outputs } = await runProgram(raw);
        for (const step of ["node-w1-files", "mesh-w1", "dns-w1", "node-w1-wireguard-key"]) assert.ok(get(resources, step), step);
        const wg0 = decodeInstalledFiles(String(unwrap(get(resources, "mesh-cp1").inputs.create))).get("/etc/wireguard/wg0.conf")!.content;
        assert.match(wg0, /^# w1$/m, "w1 is still every host's peer: its drain and wipe run at the end of this run");
        assert.deepEqual(
            resources.filter((r) => r.name.startsWith("k8s-w1-") || r.name.startsWith("k8s-pki-w1-")).map((r) => r.name),
            [],
            "every Kubernetes resource of w1 is gone (deleted at the end of the run: wipe after drain)",
        );
        type NodeOut = { name: string; leaving: boolean };
        const nodes = await Promise.all((outputs.nodes as unknown[]).map(async (n) => (await resolve(n as never)) as unknown as NodeOut));
        assert.deepEqual(
            nodes.map((n) => [n.name, n.leaving]),
            [
                ["cp1", false],
                ["cp2", false],
                ["cp3", false],
                ["w1", true],
                ["w2", false],
            ],
        );
    });

    it("a node dropped from `nodes` without leaving first is refused before any host changes; after a leaving run it is not", async () => {
        const previous =
            (nodes: { name: string; leaving?: boolean }[]): OutputsFor =>
            (r) =>
                r.type === "pulumi:pulumi:StackReference" ? { outputs: { nodes } } : {};
        const raw = baseConfig();
        const names = raw.nodes.map((n) => ({ name: String(n.name), leaving: false }));
        await assert.rejects(
            runProgram(raw, { outputs: previous([...names, { name: "w9" }]) }),
            /refused:\n {2}- nodes: node "w9" was removed without leaving first: put it back with `leaving: true` and run pulumi up/,
        );
        const { resources } = await runProgram(raw, { outputs: previous([...names, { name: "w9", leaving: true }]) });
        // Every host's first step (and every hcloud server) waits for the verdict.
        assert.ok(get(resources, "node-w1-files").dependsOn.includes("removals-checked"));
        assert.ok(get(resources, "hcloud-w2").dependsOn.includes("removals-checked"));
        const ref = resources.find((r) => r.type === "pulumi:pulumi:StackReference")!;
        assert.equal(ref.inputs.name, "organization/v6k8s/test", "the program reads its own stack's previous outputs");
    });

    it("cluster.teardown: every membership delete only says so (pulumi destroy of the whole cluster)", async () => {
        const raw = baseConfig();
        raw.cluster.teardown = true;
        const { resources } = await sharedRun(raw);
        assert.equal(get(resources, "k8s-w1-membership").inputs.delete, renderTeardownNotice("node w1"));
        assert.equal(get(resources, "k8s-cp2-etcd-member").inputs.delete, renderTeardownNotice("etcd member cp2"));
    });

    it("plan time: removing the last control-plane node, or leaving an even count without a joiner, is refused before anything is declared", async () => {
        const none = baseConfig();
        none.nodes = none.nodes.filter((n) => !(n.roles as string[]).includes("control-plane"));
        await assert.rejects(runProgram(none), /nodes: no node has the control-plane role/);
        const even = baseConfig();
        even.nodes.splice(2, 1);
        await assert.rejects(runProgram(even), /nodes: 2 control-plane nodes: etcd needs an odd number/);
    });
});
