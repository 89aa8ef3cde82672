// The membership scripts (node removal, etcd member add and remove) run by a real bash with stub
// `kubectl` and `ctr` on PATH: ctr plays the etcd container, whose etcdctl answers from a member
// table in etcdctl 3.6's `-w simple` form and applies `member add`/`member remove` to it. Every call
// is logged, so each test sees what was asked and what was changed. No root needed.
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { etcdPeerUrl } from "../../components/controlplane/render/etcd";
import { renderAddEtcdMember, renderRemoveEtcdMember } from "../../components/controlplane/render/etcdMembers";
import { renderEtcdRestartGateScript } from "../../components/controlplane/render/etcdRestartGate";
import { membershipAnchor, renderRemoveNode, renderTeardownNotice } from "../../components/controlplane/render/nodeRemoval";

const PROXY_PORT = 7445;
const mesh = (i: number) => `fd8a:31c2:7c1f:1:${i}::1`;
const peer = (name: string, i: number) => etcdPeerUrl({ name, meshAddress: mesh(i) });
const client = (i: number) => `https://[${mesh(i)}]:2379`;
/** A member line as `etcdctl member list -w simple` prints it. */
const started = (id: string, name: string, i: number, learner = false) =>
    `${id}, started, ${name}, ${peer(name, i)}, ${client(i)}, ${learner}`;
const unstarted = (id: string, name: string, i: number) => `${id}, unstarted, , ${peer(name, i)}, , false`;
const THREE = [started("8e9e05c52164694d", "cp1", 1), started("91bc3c398fb3c146", "cp2", 2), started("fd422379fda50e48", "cp3", 3)];

// ctr: the running etcd container is etcd-live (an exited one is listed too); `tasks exec` in it runs fake-etcdctl.
const CTR = `#!/bin/bash
[ "$1 $2" = "--namespace k8s.io" ] || { echo "ctr: wrong namespace: $*" >&2; exit 2; }
shift 2
case "$1 $2" in
"tasks ls") printf 'TASK PID STATUS\\netcd-old 0 STOPPED\\n'; [ -e "$STUB/etcd-down" ] || echo "etcd-live 4242 RUNNING" ;;
"containers ls") echo etcd-old; echo etcd-live ;;
"tasks exec")
    shift 2
    [ "$1" = --exec-id ] || { echo "ctr: no exec id" >&2; exit 2; }
    [ "$3" = etcd-live ] || { echo "ctr: exec in $3, not the running etcd" >&2; exit 2; }
    [ "$4" = etcdctl ] || exit 2
    shift 4
    exec "$STUB/bin/fake-etcdctl" "$@" ;;
*) exit 2 ;;
esac
`;

// etcdctl in the pod: checks its credentials, then answers from $STUB/members.
const ETCDCTL = `#!/bin/bash
want="--endpoints=https://[::1]:2379 --cacert=/etc/kubernetes/pki/etcd/ca.crt --cert=/etc/kubernetes/pki/etcd/server.crt --key=/etc/kubernetes/pki/etcd/server.key"
[ "$1 $2 $3 $4" = "$want" ] || { echo "etcdctl: unexpected flags $*" >&2; exit 2; }
shift 4
echo "etcdctl $*" >> "$STUB/calls"
if [ -e "$STUB/no-quorum" ]; then echo '{"level":"warn","msg":"retrying of unary invoker failed","error":"context deadline exceeded"}' >&2; echo "Error: context deadline exceeded" >&2; exit 1; fi
case "$1 $2" in
"member list") [ -e "$STUB/warn" ] && echo '{"level":"warn","ts":"2026-01-01T00:00:00Z","caller":"v3@v3.6.8/retry_interceptor.go:65","msg":"retrying of unary invoker failed"}' >&2
    cat "$STUB/members" ;;
"endpoint health")
    bad=0
    while IFS= read -r line; do
        urls=$(awk -F', ' '{print $5}' <<<"$line")
        for url in \${urls//,/ }; do
            if grep -qxF "$url" "$STUB/unhealthy" 2>/dev/null; then
                echo "$url is unhealthy: failed to commit proposal: context deadline exceeded" >&2; bad=1
            else
                echo "$url is healthy: successfully committed proposal: took = 2.417ms"
            fi
        done
    done < "$STUB/members"
    [ $bad = 0 ] || { echo "Error: unhealthy cluster" >&2; exit 1; } ;;
"member remove")
    grep -q "^$3, " "$STUB/members" || { echo "Error: etcdserver: member not found" >&2; exit 1; }
    grep -v "^$3, " "$STUB/members" > "$STUB/members.new"; mv "$STUB/members.new" "$STUB/members"
    echo "Member $3 removed from cluster cdf818194e3a8c32" ;;
"member add")
    url=\${4#--peer-urls=}
    echo "a1b2c3d4e5f60718, unstarted, , $url, , false" >> "$STUB/members"
    echo "Member a1b2c3d4e5f60718 added to cluster cdf818194e3a8c32" ;;
*) echo "etcdctl: unexpected $*" >&2; exit 2 ;;
esac
`;

// kubectl: checks the admin credential, logs the rest, answers from $STUB/nodes (one name a line).
const KUBECTL = `#!/bin/bash
want="--request-timeout=10s --server=https://[::1]:${PROXY_PORT} --certificate-authority=/etc/kubernetes/pki/ca.crt --client-certificate=/etc/kubernetes/pki/apiserver-kubelet-client.crt --client-key=/etc/kubernetes/pki/apiserver-kubelet-client.key"
[ "$1 $2 $3 $4 $5" = "$want" ] || { echo "kubectl: unexpected credentials $*" >&2; exit 2; }
shift 5
echo "kubectl $*" >> "$STUB/calls"
[ -e "$STUB/apiserver-down" ] && { echo "The connection to the server [::1]:${PROXY_PORT} was refused" >&2; exit 1; }
has() { grep -qxF "$1" "$STUB/nodes"; }
case "$*" in
"get node "*" --ignore-not-found -o name") if has "$3"; then echo "node/$3"; fi ;;
"get node "*"status.conditions"*) cat "$STUB/ready" 2>/dev/null || echo True ;;
"get node "*"spec.taints"*) [ -e "$STUB/tainted" ] && echo NoSchedule ;;
"drain "*) [ -e "$STUB/drain-fails" ] && { echo "error: unable to drain node w1 due to error: Cannot evict pod as it would violate the pod's disruption budget." >&2; exit 1; }
    echo "node/$2 cordoned"; echo "node/$2 drained" ;;
"delete node "*) grep -vxF "$3" "$STUB/nodes" > "$STUB/nodes.new" || true; mv "$STUB/nodes.new" "$STUB/nodes"; echo "node \\"$3\\" deleted" ;;
"label node "*|"taint node "*) echo "node/$3 changed" ;;
*) echo "kubectl: unexpected $*" >&2; exit 2 ;;
esac
`;

interface Stub {
    members?: string[];
    nodes?: string[];
    unhealthy?: number[];
    flags?: string[];
    ready?: string;
}

function runScript(script: string, stub: Stub) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "v6k8s-membership-"));
    try {
        fs.mkdirSync(path.join(dir, "bin"));
        for (const [name, body] of [
            ["ctr", CTR],
            ["fake-etcdctl", ETCDCTL],
            ["kubectl", KUBECTL],
        ])
            fs.writeFileSync(path.join(dir, "bin", name), body, { mode: 0o755 });
        fs.writeFileSync(path.join(dir, "members"), (stub.members ?? THREE).map((l) => `${l}\n`).join(""));
        fs.writeFileSync(path.join(dir, "nodes"), (stub.nodes ?? ["cp1", "cp2", "cp3", "w1"]).map((n) => `${n}\n`).join(""));
        fs.writeFileSync(path.join(dir, "unhealthy"), (stub.unhealthy ?? []).map((i) => `${client(i)}\n`).join(""));
        if (stub.ready) fs.writeFileSync(path.join(dir, "ready"), stub.ready);
        for (const f of stub.flags ?? []) fs.writeFileSync(path.join(dir, f), "");
        fs.writeFileSync(path.join(dir, "script.sh"), script);
        const r = spawnSync("bash", [path.join(dir, "script.sh")], {
            encoding: "utf8",
            timeout: 20_000,
            env: { ...process.env, PATH: `${dir}/bin:${process.env.PATH}`, STUB: dir },
        });
        const read = (f: string) => (fs.existsSync(path.join(dir, f)) ? fs.readFileSync(path.join(dir, f), "utf8") : "");
        return {
            status: r.status,
            stdout: r.stdout,
            stderr: r.stderr,
            calls: read("calls").split("\n").filter(Boolean),
            members: read("members").split("\n").filter(Boolean),
            nodes: read("nodes").split("\n").filter(Boolean),
        };
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

const removeNode = (name: string) => renderRemoveNode(name, "cp1", { proxyPort: PROXY_PORT });
const removeMember = (name: string, i: number) =>
    renderRemoveEtcdMember({ name, peerUrl: peer(name, i) }, "cp1", { proxyPort: PROXY_PORT });
const addMember = (name: string, i: number) => renderAddEtcdMember({ name, peerUrl: peer(name, i) }, "cp1");
const mutations = (calls: string[]) => calls.filter((c) => /^(etcdctl member (add|remove)|kubectl (drain|delete|label|taint))/.test(c));

describe("membership scripts (real bash, stub kubectl and ctr/etcdctl)", function () {
    this.timeout(60_000);

    describe("removing a node: drain, then delete its Node", () => {
        it("a worker: drains it (DaemonSets ignored, evicted pods not waited for past 30 s) and deletes its Node; etcd is not asked", () => {
            const r = runScript(removeNode("w1"), {});
            assert.equal(r.status, 0, r.stderr);
            assert.deepEqual(mutations(r.calls), [
                "kubectl drain w1 --ignore-daemonsets --delete-emptydir-data --force --timeout=600s --skip-wait-for-delete-timeout=30",
                "kubectl delete node w1 --ignore-not-found",
            ]);
            assert.ok(!r.calls.some((c) => c.startsWith("etcdctl")));
            assert.deepEqual(r.nodes, ["cp1", "cp2", "cp3"]);
            assert.match(r.stdout, /node w1: removing it from the cluster, from .+\n/);
            assert.match(r.stdout, /node w1: Ready=True; draining/);
            assert.match(r.stdout, /node w1: drained and deleted/);
        });

        it("a node that is not Ready (cut off, dead) is drained and deleted the same way, saying so", () => {
            const r = runScript(removeNode("w1"), { ready: "Unknown" });
            assert.equal(r.status, 0, r.stderr);
            assert.match(r.stdout, /node w1: Ready=Unknown; draining/);
            assert.deepEqual(r.nodes, ["cp1", "cp2", "cp3"]);
        });

        it("no Node object (already removed): success, nothing drained or deleted", () => {
            const r = runScript(removeNode("w1"), { nodes: ["cp1", "cp2", "cp3"] });
            assert.equal(r.status, 0, r.stderr);
            assert.deepEqual(mutations(r.calls), []);
            assert.match(r.stdout, /node w1: no Node object \(already removed\): nothing to do/);
        });

        it("a failed drain fails the removal (so the server is not deleted) and leaves the Node", () => {
            const r = runScript(removeNode("w1"), { flags: ["drain-fails"] });
            assert.equal(r.status, 1);
            assert.match(r.stderr, /node w1: drain failed \(see above\): the node stays cordoned and is not deleted, nor is its server/);
            assert.match(r.stderr, /disruption budget/);
            assert.ok(!r.calls.some((c) => c.startsWith("kubectl delete")));
            assert.ok(r.nodes.includes("w1"));
        });

        it("an unreachable apiserver fails the removal before anything is asked to change", () => {
            const r = runScript(removeNode("w1"), { flags: ["apiserver-down"] });
            assert.equal(r.status, 1);
            assert.match(r.stderr, /node w1: cannot reach the apiserver from .+: The connection to the server/);
            assert.deepEqual(mutations(r.calls), []);
        });
    });

    describe("removing an etcd member", () => {
        it("cp3 of three healthy members: removed by its ID; its Node loses the control-plane label and taint", () => {
            const r = runScript(removeMember("cp3", 3), { flags: ["tainted"] });
            assert.equal(r.status, 0, r.stderr);
            assert.deepEqual(mutations(r.calls), [
                "etcdctl member remove fd422379fda50e48",
                "kubectl label node cp3 node-role.kubernetes.io/control-plane-",
                "kubectl taint node cp3 node-role.kubernetes.io/control-plane:NoSchedule-",
            ]);
            assert.deepEqual(r.members, THREE.slice(0, 2));
            assert.match(r.stdout, /etcd: 2 members left after the removal, 2 of them healthy \(a quorum is 2\)/);
            assert.match(r.stdout, /Member fd422379fda50e48 removed from cluster/);
        });

        it("a client warning among the member lines is not a member (3 voters, not 4)", () => {
            const r = runScript(removeMember("cp3", 3), { flags: ["warn"] });
            assert.equal(r.status, 0, r.stderr);
            assert.match(r.stdout, /etcd: 2 members left after the removal, 2 of them healthy \(a quorum is 2\)/);
        });

        it("cp3 already cut off (unhealthy): the two others are a healthy quorum, so it is removed", () => {
            const r = runScript(removeMember("cp3", 3), { unhealthy: [3] });
            assert.equal(r.status, 0, r.stderr);
            assert.deepEqual(r.members, THREE.slice(0, 2));
            assert.match(r.stdout, /health: https:\/\/\[fd8a:31c2:7c1f:1:3::1\]:2379 is unhealthy/);
        });

        it("refuses, changing nothing, when the members left would lack a healthy quorum (cp2 down)", () => {
            const r = runScript(removeMember("cp3", 3), { unhealthy: [2] });
            assert.equal(r.status, 1);
            assert.match(
                r.stderr,
                /^etcd: refusing to remove member cp3: 2 members would be left, 1 of them healthy, and etcd needs 2 of them for a quorum/m,
            );
            assert.deepEqual(mutations(r.calls), []);
            assert.deepEqual(r.members, THREE);
        });

        it("five members, two down: removing a down one is allowed (3 of 4), a healthy one is refused (2 of 4)", () => {
            const five = [...THREE, started("1a2b3c4d5e6f7081", "cp4", 4), started("2b3c4d5e6f708192", "cp5", 5)];
            const ok = runScript(removeMember("cp5", 5), { members: five, unhealthy: [4, 5] });
            assert.equal(ok.status, 0, ok.stderr);
            assert.deepEqual(ok.members, five.slice(0, 4));
            const refused = runScript(removeMember("cp3", 3), { members: five, unhealthy: [4, 5] });
            assert.equal(refused.status, 1);
            assert.match(refused.stderr, /4 members would be left, 2 of them healthy, and etcd needs 3/);
            assert.deepEqual(refused.members, five);
        });

        it("a member with two client URLs counts once: cp1 down, cp2 healthy on both, removing cp3 is refused (1 of 2)", () => {
            const cp2 = started("91bc3c398fb3c146", "cp2", 2).replace(client(2), `${client(2)},https://[2001:db8:a:2::2]:2379`);
            const r = runScript(removeMember("cp3", 3), { members: [THREE[0], cp2, THREE[2]], unhealthy: [1] });
            assert.equal(r.status, 1);
            assert.match(r.stderr, /2 members would be left, 1 of them healthy, and etcd needs 2/);
            assert.match(r.stdout, /health: https:\/\/\[2001:db8:a:2::2\]:2379 is healthy/);
        });

        it("refuses to remove the last member (the last control-plane node), changing nothing", () => {
            const r = runScript(removeMember("cp1", 1), { members: [THREE[0]] });
            assert.equal(r.status, 1);
            assert.match(r.stderr, /etcd: refusing to remove member cp1: it is the last member, the last control-plane node/);
            assert.deepEqual(mutations(r.calls), []);
        });

        it("a member already removed: success; only the Node's control-plane label is cleaned up", () => {
            const r = runScript(removeMember("cp3", 3), { members: THREE.slice(0, 2) });
            assert.equal(r.status, 0, r.stderr);
            assert.match(r.stdout, /etcd: cp3 is not a member \(already removed\): nothing to remove/);
            assert.deepEqual(mutations(r.calls), ["kubectl label node cp3 node-role.kubernetes.io/control-plane-"]);
        });

        it("a member that never started (no name yet) is found by its peer URL", () => {
            const r = runScript(removeMember("cp4", 4), {
                members: [...THREE, unstarted("1a2b3c4d5e6f7081", "cp4", 4)],
                nodes: ["cp1", "cp2", "cp3"],
            });
            assert.equal(r.status, 0, r.stderr);
            assert.deepEqual(mutations(r.calls), ["etcdctl member remove 1a2b3c4d5e6f7081"]);
            assert.deepEqual(r.members, THREE);
        });

        it("refuses when etcd cannot answer (no quorum) or does not run on this node", () => {
            const noQuorum = runScript(removeMember("cp3", 3), { flags: ["no-quorum"] });
            assert.equal(noQuorum.status, 1);
            assert.match(
                noQuorum.stderr,
                /refusing to remove member cp3: the member list from .+ failed \(no quorum\?\): .*context deadline exceeded/,
            );
            const down = runScript(removeMember("cp3", 3), { flags: ["etcd-down"] });
            assert.equal(down.status, 1);
            assert.match(down.stderr, /refusing to remove member cp3: no running etcd container on /);
            for (const r of [noQuorum, down]) assert.deepEqual(mutations(r.calls), []);
        });
    });

    describe("adding an etcd member (joinEtcd)", () => {
        it("absent: `member add` with its name and peer URL", () => {
            const r = runScript(addMember("cp4", 4), {});
            assert.equal(r.status, 0, r.stderr);
            assert.deepEqual(mutations(r.calls), [`etcdctl member add cp4 --peer-urls=${peer("cp4", 4)}`]);
            assert.equal(r.members.length, 4);
            assert.match(r.stdout, /etcd: member cp4 added; it joins when its etcd starts/);
        });

        it("present, started or not yet: nothing to add", () => {
            for (const line of [started("1a2b3c4d5e6f7081", "cp4", 4), unstarted("1a2b3c4d5e6f7081", "cp4", 4)]) {
                const r = runScript(addMember("cp4", 4), { members: [...THREE, line] });
                assert.equal(r.status, 0, r.stderr);
                assert.deepEqual(mutations(r.calls), []);
                assert.match(r.stdout, /etcd: cp4 is already a member \((un)?started\): nothing to add/);
            }
        });

        it("a member of that name with another peer URL is an error, not a second member", () => {
            const r = runScript(addMember("cp4", 4), { members: [...THREE, started("1a2b3c4d5e6f7081", "cp4", 9)] });
            assert.equal(r.status, 1);
            assert.match(r.stderr, /etcd: cannot add member cp4: a member named cp4 exists with other peer URLs/);
            assert.deepEqual(mutations(r.calls), []);
        });
    });

    it("cluster.teardown: the delete only says so", () => {
        const r = runScript(renderTeardownNotice("node w1"), {});
        assert.equal(r.status, 0);
        assert.deepEqual(r.calls, []);
        assert.match(r.stdout, /cluster\.teardown is set: node w1 is not removed from the cluster/);
    });
});

describe("the etcd restart gate (real bash, stub ctr/etcdctl)", function () {
    this.timeout(30_000);
    const gate = (name: string, i: number) =>
        renderEtcdRestartGateScript({ name, peerUrl: peer(name, i) }, { timeoutSeconds: 1, progressSeconds: 1 });

    it("three healthy members: cp1 may restart at once (2 of 2 others healthy, a quorum is 2)", () => {
        const r = runScript(gate("cp1", 1), {});
        assert.equal(r.status, 0, r.stderr);
        assert.match(r.stdout, /^etcd: 2 of the 2 other voting members healthy: cp1 may restart$/m);
        assert.deepEqual(mutations(r.calls), []);
    });

    it("cp2 down: cp1 must not restart (1 of 2 others, a quorum is 2); it waits, then fails with the health lines", () => {
        const r = runScript(gate("cp1", 1), { unhealthy: [2] });
        assert.equal(r.status, 1);
        assert.match(
            r.stderr,
            /^a quorum of healthy etcd members besides cp1 \(2 of 2\) before its manifest changes: not ready within 1s$/m,
        );
        assert.match(r.stderr, /^etcd: 1 of the 2 other voting members are healthy; restarting cp1 needs 2 of them$/m);
        assert.match(r.stderr, /health: https:\/\/\[fd8a:31c2:7c1f:1:2::1\]:2379 is unhealthy/);
    });

    it("a fourth member added but not started: restarting any running one would leave 2 of 4, so it is refused", () => {
        const r = runScript(gate("cp1", 1), { members: [...THREE, unstarted("a1b2c3d4e5f60718", "cp4", 4)] });
        assert.equal(r.status, 1);
        assert.match(r.stderr, /^etcd: 2 of the 3 other voting members are healthy; restarting cp1 needs 3 of them$/m);
    });

    it("a learner does not count; a lone voting member, or no running etcd, passes (nothing to keep)", () => {
        const learner = runScript(gate("cp1", 1), { members: [THREE[0], started("91bc3c398fb3c146", "cp2", 2, true)] });
        assert.equal(learner.status, 0, learner.stderr);
        assert.match(learner.stdout, /cp1 is the only voting member/);
        const down = runScript(gate("cp1", 1), { flags: ["etcd-down"] });
        assert.equal(down.status, 0, down.stderr);
        assert.match(down.stdout, /no member runs on cp1 yet/);
    });

    it("passes ShellCheck", function () {
        if (spawnSync("shellcheck", ["--version"]).status !== 0) {
            if (process.env.V6K8S_REQUIRE_DATAPATH === "1") throw new Error("shellcheck is not installed (Debian: shellcheck)");
            this.skip();
        }
        const r = spawnSync("shellcheck", ["--severity=warning", "-"], { input: gate("cp1", 1), encoding: "utf8" });
        assert.equal(r.status, 0, r.stdout + r.stderr);
    });
});

describe("membershipAnchor: where a node's membership commands run", () => {
    const nodes = [
        { name: "cp4", controlPlane: true, joining: true },
        { name: "cp1", controlPlane: true, joining: false },
        { name: "cp2", controlPlane: true, joining: false },
        { name: "w1", controlPlane: false, joining: false },
    ];
    it("the first control-plane node that is not joining, never the node itself", () => {
        assert.equal(membershipAnchor("w1", nodes), "cp1");
        assert.equal(membershipAnchor("cp4", nodes), "cp1");
        assert.equal(membershipAnchor("cp2", nodes), "cp1");
        assert.equal(membershipAnchor("cp1", nodes), "cp2");
    });
    it("only when the node is the only control-plane node, itself (its etcd removal refuses then)", () => {
        assert.equal(membershipAnchor("cp1", [{ name: "cp1", controlPlane: true, joining: false }, nodes[3]]), "cp1");
        assert.throws(() => membershipAnchor("w1", [nodes[3]]), /no control-plane node/);
        assert.throws(() => membershipAnchor("nope", nodes), /no node nope/);
    });
});
