// A node that loses the control-plane role, a host that loses IPv4: under Pulumi mocks, the steps
// that wrote the files it no longer needs still run on it (same resources, new render; or a cleanup
// step in place of the gateway), and their texts, run for real in a scratch root one after the
// other (before, then after), remove those files and stop their units.
import { strict as assert } from "assert";
import { gatewayFilesCommand } from "../../components/nat64/render/gatewayFiles";
import { PKI_COMMAND, filesCommand } from "../../components/controlplane/steps";
import { filesOnStdin } from "../../components/hosts/render/commands";
import { OWNERS } from "../../components/hosts/render/owned";
import { decodeInstalledFiles, decodeStdinFiles } from "../support/decodeFiles";
import { RawConfig, ULA, dedicated } from "../support/fixtures";
import { fileStamps, scratchRoot } from "../support/ownedRoot";
import { RecordedResource } from "../support/pulumiMocks";
import { sharedRun } from "../support/sharedRuns";
import * as fs from "fs";
import { resourceNamed as get, unwrapSecret } from "../support/recorded";

const unwrap = (v: unknown) => unwrapSecret<string>(v);
const COMMAND = "command:remote:Command";

/** cp2 and cp3 are control-plane nodes, cp1 and cp3 NAT64 gateways. */
function withRoles(): RawConfig {
    return {
        cluster: { ulaPrefix: ULA, kubernetesVersion: "1.34.2", adminPrefixes: ["2001:db8:ad::/48"] },
        nodes: [
            dedicated("cp1", 1, ["control-plane"], "2001:db8:a:1::/64", { ipv4: "203.0.113.10" }),
            dedicated("cp2", 2, ["control-plane"], "2001:db8:a:2::/64"),
            dedicated("cp3", 3, ["control-plane"], "2001:db8:a:3::/64", { ipv4: "203.0.113.13" }),
            dedicated("w1", 11, ["worker"], "2001:db8:b:1::/64"),
        ],
    };
}

/** cp2 and cp3 are workers now (etcd shrinks to cp1), and cp3 has no IPv4 any more. */
function lostRolesAndIpv4(): RawConfig {
    const raw = withRoles();
    raw.nodes[1].roles = ["worker"];
    raw.nodes[2].roles = ["worker"];
    delete raw.nodes[2].ipv4;
    return raw;
}

const createOf = (rs: RecordedResource[], name: string) => unwrap(get(rs, name).inputs.create);
const ownerOf = (script: string) => /^own ([a-z0-9-]+) /m.exec(script)?.[1];

/** Every resource `name` waits for, directly or through others. */
function upstream(rs: RecordedResource[], name: string, seen = new Set<string>()): Set<string> {
    for (const d of get(rs, name).dependsOn) {
        if (!seen.has(d)) {
            seen.add(d);
            if (rs.some((r) => r.name === d)) upstream(rs, d, seen);
        }
    }
    return seen;
}

const CONTROL_PLANE_MANIFESTS = ["etcd.yaml", "kube-apiserver.yaml", "kube-controller-manager.yaml", "kube-scheduler.yaml"].map(
    (m) => `/etc/kubernetes/manifests/${m}`,
);

describe("what a host loses (the control-plane role, IPv4), under Pulumi mocks", function () {
    this.timeout(180_000);
    let was: RecordedResource[];
    let now: RecordedResource[];
    before(async () => {
        was = (await sharedRun(withRoles())).resources;
        now = (await sharedRun(lostRolesAndIpv4())).resources;
    });

    it("role loss: the node's Kubernetes steps keep their names and parents (pulumi replaces them, running the new render), now after the control plane", () => {
        for (const step of ["pki", "files", "start"]) {
            const [a, b] = [get(was, `k8s-cp2-${step}`), get(now, `k8s-cp2-${step}`)];
            assert.equal(b.type, a.type);
            assert.equal(b.parent, a.parent, `k8s-cp2-${step} keeps its parent, so its URN`);
            assert.notDeepEqual(b.inputs.triggers, a.inputs.triggers, `k8s-cp2-${step} re-runs`);
        }
        assert.equal(ownerOf(createOf(was, "k8s-cp2-files")), OWNERS.kubernetesFiles);
        assert.equal(ownerOf(createOf(now, "k8s-cp2-files")), OWNERS.kubernetesFiles);
        // As a worker it waits for the remaining control plane, whose etcd and proxies drop it first.
        assert.ok(upstream(now, "k8s-cp2-files").has("k8s-control-plane-ready"));
        assert.ok(!upstream(was, "k8s-cp2-files").has("k8s-control-plane-ready"));
    });

    it("role loss, run for real: the files step's texts, before then after, remove the control plane's static pods and stop the etcd backup timer", () => {
        const s = scratchRoot();
        const [old, current] = [decodeInstalledFiles(createOf(was, "k8s-cp2-files")), decodeInstalledFiles(createOf(now, "k8s-cp2-files"))];
        // The commands are exactly the installer over these files, so the rerooted ones run the same script.
        // As a control-plane node its command starts with the etcd restart gate (etcdRestartGate.ts).
        assert.ok(createOf(was, "k8s-cp2-files").endsWith(filesCommand(old)), "cp2's files command is not the installer of its files");
        assert.match(createOf(was, "k8s-cp2-files"), /^set -eu\nif \[ -f \/etc\/kubernetes\/manifests\/etcd\.yaml \]/);
        assert.equal(createOf(now, "k8s-cp2-files"), filesCommand(current));
        for (const m of CONTROL_PLANE_MANIFESTS) assert.ok(old.has(m) && !current.has(m), m);
        s.run(filesCommand(s.reroot(old)));
        const r = s.run(filesCommand(s.reroot(current)));
        for (const p of old.keys()) assert.equal(fs.existsSync(`${s.root}${p}`), current.has(p), p);
        assert.ok(fs.existsSync(`${s.root}/etc/kubernetes/manifests/apiserver-proxy.yaml`), "the node-local proxy stays");
        // The static pods go first (the kubelet stops them), then what they used.
        const removed = r.stdout
            .split("\n")
            .filter((l) => l.startsWith("v6k8s: removing "))
            .map((l) => l.split(" ")[2].slice(s.root.length));
        assert.deepEqual(removed.slice(0, 4).sort(), [...CONTROL_PLANE_MANIFESTS].sort());
        assert.ok(removed.includes("/etc/kubernetes/controller-manager.conf") && removed.includes("/usr/local/lib/v6k8s/etcd-backup.sh"));
        assert.deepEqual(s.calls(), [
            "systemctl disable --now v6k8s-etcd-backup.timer [file present]",
            "systemctl disable --now v6k8s-etcd-backup.service [file present]",
            "systemctl daemon-reload [file absent]",
        ]);
        const stamps = fileStamps(s.root);
        s.run(filesCommand(s.reroot(current)));
        assert.deepEqual(fileStamps(s.root), stamps, "a re-run changes nothing");
    });

    it("role loss, run for real: the pki step (fixed text) removes the control plane's keys its new stdin lacks", () => {
        assert.equal(createOf(was, "k8s-cp2-pki"), PKI_COMMAND);
        assert.equal(createOf(now, "k8s-cp2-pki"), PKI_COMMAND);
        const stdinOf = (rs: RecordedResource[]) => decodeStdinFiles(unwrap(get(rs, "k8s-cp2-pki").inputs.stdin));
        const [old, current] = [stdinOf(was), stdinOf(now)];
        const gone = [...old.keys()].filter((p) => !current.has(p));
        for (const p of [
            "/etc/kubernetes/pki/etcd/server.key",
            "/etc/kubernetes/pki/apiserver.key",
            "/etc/kubernetes/pki/sa.key",
            "/etc/kubernetes/pki/encryption-config.yaml",
        ]) {
            assert.ok(gone.includes(p), `${p} leaves the node`);
        }
        const s = scratchRoot();
        s.run(PKI_COMMAND, { input: filesOnStdin(s.reroot(old)) });
        s.run(PKI_COMMAND, { input: filesOnStdin(s.reroot(current)) });
        for (const p of old.keys()) assert.equal(fs.existsSync(`${s.root}${p}`), current.has(p), p);
        assert.deepEqual(
            s.list(OWNERS.kubernetesPki),
            [...current.keys()].map((p) => `${s.root}${p}`),
        );
    });

    it("IPv4 loss: the gateway's steps leave the graph, a cleanup step with the gateway's list takes their place, after every host's DNS and CoreDNS", () => {
        const nat64 = (rs: RecordedResource[]) =>
            rs
                .filter((r) => r.type === COMMAND && r.name.startsWith("nat64-"))
                .map((r) => r.name)
                .sort();
        assert.deepEqual(nat64(was), [
            "nat64-cp1-activate",
            "nat64-cp1-files",
            "nat64-cp2-cleanup",
            "nat64-cp3-activate",
            "nat64-cp3-files",
            "nat64-w1-cleanup",
        ]);
        assert.deepEqual(nat64(now), [
            "nat64-cp1-activate",
            "nat64-cp1-files",
            "nat64-cp2-cleanup",
            "nat64-cp3-cleanup",
            "nat64-w1-cleanup",
        ]);
        assert.equal(ownerOf(createOf(was, "nat64-cp3-files")), OWNERS.nat64);
        assert.equal(ownerOf(createOf(now, "nat64-cp3-cleanup")), OWNERS.nat64);
        // Tayga and the resolver stop only once nothing points at them any more.
        const first = upstream(now, "nat64-cp3-cleanup");
        for (const h of ["cp1", "cp2", "cp3", "w1"]) assert.ok(first.has(`dns-${h}`), `after dns-${h}`);
        assert.ok(first.has("addons-configmap-kube-system-coredns"), "after CoreDNS's Corefile");
        // A host that never was a gateway keeps its (no-op) cleanup step unchanged: it does not run again.
        assert.deepEqual(get(now, "nat64-w1-cleanup").inputs.triggers, get(was, "nat64-w1-cleanup").inputs.triggers);
    });

    it("IPv4 loss, run for real: the gateway's files step, then the cleanup step's exact text: every gateway file goes, its units stopped first, the TUN deleted", () => {
        const s = scratchRoot({ links: ["nat64"] });
        const files = decodeInstalledFiles(createOf(was, "nat64-cp3-files"));
        assert.equal(createOf(was, "nat64-cp3-files"), gatewayFilesCommand(files));
        s.run(gatewayFilesCommand(s.reroot(files)));
        assert.equal(s.list(OWNERS.nat64)?.length, files.size);
        const cleanup = createOf(now, "nat64-cp3-cleanup");
        s.run(cleanup);
        for (const p of files.keys()) assert.ok(!fs.existsSync(`${s.root}${p}`), `${p} removed`);
        assert.equal(s.list(OWNERS.nat64), null);
        assert.deepEqual(s.calls(), [
            "systemctl disable --now v6k8s-nat64.service [file present]",
            "systemctl disable --now v6k8s-dns64.service [file present]",
            "systemctl daemon-reload [file absent]",
            "ip link show nat64",
            "ip link del nat64",
        ]);
        // On a host that never was a gateway (or a second run) it finds nothing to do.
        const fresh = scratchRoot();
        assert.equal(fresh.run(cleanup).stdout, "");
        assert.deepEqual(fresh.calls(), ["ip link show nat64"]);
    });
});
