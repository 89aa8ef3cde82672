import { strict as assert } from "assert";
import { APISERVER_PORT } from "../../components/common/ports";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { projectKeys, readStackFile } from "../../components/config/stackFile";
import { renderStack } from "../../components/offline";
import { decodeInstalledFiles, decodeStdinFiles, withoutCertificatesHash } from "../support/decodeFiles";
import { RawConfig, dedicated } from "../support/fixtures";
import { PROJECT, RecordedResource, TEST_ENCRYPTION_KEY, resolve } from "../support/pulumiMocks";
import { upstream } from "../support/graph";
import { sharedRun } from "../support/sharedRuns";
import { ENCRYPTION_CONFIG_PATH, renderEncryptionConfig } from "../../components/controlplane/render/encryption";
import { validateStackConfig } from "../../components/config/load";
import { controlPlaneNodeRoles } from "../../components/controlplane/facts";
import { hostPkiFiles } from "../../components/controlplane/pkiFiles";
import { CA_PROFILES, Signer } from "../../components/controlplane/pki/profiles";
import { APISERVER_PROXY_PORT } from "../../components/controlplane/render/defaults";
import { waitControlPlaneCommand } from "../../components/controlplane/steps";
import { isSecret, resourceNamed as get, unwrapSecret } from "../support/recorded";

const unwrap = (v: unknown) => unwrapSecret<string>(v);

function prodConfig(): Record<string, unknown> {
    const doc = parse(fs.readFileSync(path.join(__dirname, "..", "..", "Pulumi.prod.yaml"), "utf8"));
    return projectKeys(doc.config, PROJECT);
}

function small(): RawConfig {
    return {
        cluster: { ulaPrefix: "fd8a:31c2:7c1f:1::/64", kubernetesVersion: "1.34.2", adminPrefixes: ["2001:db8:ad::/48"] },
        nodes: [
            dedicated("cp1", 1, ["control-plane"], "2001:db8:a:1::/64"),
            dedicated("cp2", 2, ["control-plane"], "2001:db8:a:2::/64"),
            dedicated("cp3", 3, ["control-plane"], "2001:db8:a:3::/64"),
            dedicated("w1", 11, ["worker"], "2001:db8:b:1::/64"),
        ],
    };
}

const filesOf = (rs: RecordedResource[], name: string) => decodeInstalledFiles(unwrap(get(rs, name).inputs.create));
const stdinFilesOf = (rs: RecordedResource[], name: string) => decodeStdinFiles(unwrap(get(rs, name).inputs.stdin));

describe("Kubernetes on the hosts, under Pulumi mocks", function () {
    // Each run declares the whole program; on a loaded machine two runs in one test exceed the default.
    this.timeout(180_000);
    let prod: RecordedResource[];
    let outputs: Record<string, unknown>;
    before(async () => {
        ({ resources: prod, outputs } = await sharedRun(prodConfig()));
    });

    it("runs preflight -> pki -> files -> binaries -> start on every host, after the whole mesh", () => {
        for (const n of ["cp1", "cp2", "cp3", "w1", "w2", "w3"]) {
            assert.ok(get(prod, `k8s-${n}-pki`).dependsOn.includes(`k8s-${n}-preflight`));
            assert.ok(get(prod, `k8s-${n}-files`).dependsOn.includes(`k8s-${n}-pki`));
            assert.ok(get(prod, `k8s-${n}-binaries`).dependsOn.includes(`k8s-${n}-files`));
            assert.ok(get(prod, `k8s-${n}-start`).dependsOn.includes(`k8s-${n}-binaries`));
            // Through one barrier (2N edges, not N²): it waits for every host's mesh and DNS.
            assert.ok(get(prod, `k8s-${n}-preflight`).dependsOn.includes("hosts-ready"), `k8s-${n} after the hosts-ready barrier`);
            const before = upstream(prod, `k8s-${n}-preflight`);
            for (const m of ["cp1", "cp2", "cp3", "w1", "w2", "w3"]) assert.ok(before.has(`mesh-${m}`), `k8s-${n} after mesh-${m}`);
        }
        const ready = get(prod, "hosts-ready");
        assert.equal(ready.type, "command:local:Command");
        assert.equal(ready.inputs.create, undefined, "the barrier runs nothing");
        for (const m of ["cp1", "cp2", "cp3", "w1", "w2", "w3"]) {
            assert.ok(
                ready.dependsOn.includes(`mesh-${m}`) && ready.dependsOn.includes(`dns-${m}`),
                `hosts-ready after mesh-${m} and dns-${m}`,
            );
        }
    });

    it("upgrades control-plane nodes one at a time, then waits for the control plane, then workers two at a time", () => {
        assert.ok(get(prod, "k8s-cp2-files").dependsOn.includes("k8s-cp1-start"));
        assert.ok(get(prod, "k8s-cp3-files").dependsOn.includes("k8s-cp2-start"));
        assert.ok(
            !get(prod, "k8s-cp1-files").dependsOn.some((d) => /^k8s-(cp|w)\d-(preflight|files|binaries|start)$/.test(d)),
            "cp1 goes first",
        );
        const ready = get(prod, "k8s-control-plane-ready").dependsOn;
        for (const cp of ["cp1", "cp2", "cp3"]) assert.ok(ready.includes(`k8s-${cp}-start`));
        for (const w of ["w1", "w2"]) {
            const deps = get(prod, `k8s-${w}-preflight`).dependsOn;
            assert.ok(deps.includes("k8s-control-plane-ready"));
            assert.ok(!deps.some((d) => /^k8s-w\d-start$/.test(d)), `${w} is in the first worker group`);
        }
        const w3 = get(prod, "k8s-w3-preflight").dependsOn;
        assert.ok(w3.includes("k8s-w1-uncordon") && w3.includes("k8s-w2-uncordon"), "w3 waits for the first group");
    });

    it("orders a release change as the version-skew policy asks: every apiserver, then the controller-managers and schedulers, then each kubelet, drained", () => {
        const cps = ["cp1", "cp2", "cp3"];
        const workers = ["w1", "w2", "w3"];
        const kubeletChanges = [...cps.map((n) => `k8s-${n}-kubelet`), ...workers.map((n) => `k8s-${n}-binaries`)];
        for (const n of cps) {
            // Its start step waits for its own apiserver at the release (render/activate.ts); no kubelet changes before every one did.
            const controllers = upstream(prod, `k8s-${n}-controllers`);
            for (const m of cps) assert.ok(controllers.has(`k8s-${m}-start`), `k8s-${n}-controllers after k8s-${m}-start`);
            for (const k of kubeletChanges) assert.ok(!controllers.has(k), `k8s-${n}-controllers before ${k}`);
            assert.ok(get(prod, "k8s-control-plane-ready").dependsOn.includes(`k8s-${n}-controllers`));
            // A control-plane node's first binaries step keeps an installed kubelet; its kubelet step changes it.
            assert.equal(unwrap(get(prod, `k8s-${n}-binaries`).inputs.create), "/usr/local/lib/v6k8s/install-binaries.sh --keep-kubelet");
            assert.match(unwrap(get(prod, `k8s-${n}-kubelet`).inputs.create), /^\/usr\/local\/lib\/v6k8s\/install-binaries\.sh && /);
            // The controller-manager and scheduler manifests are only staged by the files step.
            const files = unwrap(get(prod, `k8s-${n}-files`).inputs.create);
            assert.match(files, /^stage '\/etc\/kubernetes\/manifests\/kube-controller-manager\.yaml' 0600$/m);
            assert.match(files, /^stage '\/etc\/kubernetes\/manifests\/kube-scheduler\.yaml' 0600$/m);
            assert.match(files, /^put '\/etc\/kubernetes\/manifests\/kube-apiserver\.yaml' 0600$/m);
            assert.match(
                unwrap(get(prod, `k8s-${n}-controllers`).inputs.create),
                /kube-controller-manager\.yaml[\s\S]*kube-scheduler\.yaml/,
            );
        }
        for (const w of workers) {
            assert.equal(unwrap(get(prod, `k8s-${w}-binaries`).inputs.create), "/usr/local/lib/v6k8s/install-binaries.sh");
            assert.doesNotMatch(unwrap(get(prod, `k8s-${w}-files`).inputs.create), /^stage /m);
        }
        // Each kubelet: drained first, uncordoned after; control-plane nodes one at a time after the
        // control-plane wait, then the workers (their files and binaries after their drain).
        const chain = (n: string, change: string) => {
            assert.ok(upstream(prod, change).has(`k8s-${n}-drain`), `${change} after k8s-${n}-drain`);
            assert.ok(upstream(prod, `k8s-${n}-uncordon`).has(change), `k8s-${n}-uncordon after ${change}`);
        };
        cps.forEach((n) => chain(n, `k8s-${n}-kubelet`));
        workers.forEach((n) => chain(n, `k8s-${n}-binaries`));
        assert.ok(get(prod, "k8s-w1-files").dependsOn.includes("k8s-w1-drain"), "a worker's files after its drain");
        assert.ok(get(prod, "k8s-cp1-drain").dependsOn.includes("k8s-control-plane-ready"));
        assert.ok(get(prod, "k8s-cp2-drain").dependsOn.includes("k8s-cp1-uncordon"));
        assert.ok(get(prod, "k8s-cp3-drain").dependsOn.includes("k8s-cp2-uncordon"));
        for (const w of workers)
            assert.ok(upstream(prod, `k8s-${w}-drain`).has("k8s-cp3-uncordon"), `k8s-${w}-drain after every control-plane kubelet`);
        // Drain and uncordon run on the node's membership anchor (a control-plane node that stays), for the configured release.
        const connectionHost = (name: string) => (unwrap(get(prod, name).inputs.connection) as unknown as { host: string }).host;
        assert.equal(connectionHost("k8s-w1-drain"), connectionHost("k8s-cp1-start"));
        assert.equal(connectionHost("k8s-cp1-drain"), connectionHost("k8s-cp2-start"));
        assert.equal(connectionHost("k8s-cp1-uncordon"), connectionHost("k8s-cp2-start"));
        assert.match(unwrap(get(prod, "k8s-w1-drain").inputs.create), /^name=w1 target=v1\.34\.2$/m);
    });

    it("writes every control-plane node's certificates before any control-plane node changes its files (expired certificates: etcd's quorum needs its peers' new ones)", () => {
        const cps = ["cp1", "cp2", "cp3"];
        for (const n of cps) {
            const before = upstream(prod, `k8s-${n}-pki`);
            const ran = [...before].filter((d) => /^k8s-(cp|w)\d-(files|binaries|start)$/.test(d) || d === "k8s-control-plane-ready");
            assert.deepEqual(ran, [], `k8s-${n}-pki waits for no node's files or start`);
            const files = get(prod, `k8s-${n}-files`).dependsOn;
            for (const m of cps) assert.ok(files.includes(`k8s-${m}-pki`), `k8s-${n}-files after k8s-${m}-pki`);
        }
        // Workers stay behind the control plane, certificates included.
        assert.ok(upstream(prod, "k8s-w1-pki").has("k8s-control-plane-ready"));
    });

    it("the control-plane wait labels cp1..cp3 and taints them (roles [control-plane]); the kubelets of cp nodes register tainted", () => {
        const wait = unwrap(get(prod, "k8s-control-plane-ready").inputs.create);
        for (const cp of ["cp1", "cp2", "cp3"]) {
            assert.match(wait, new RegExp(`^k label node ${cp} node-role\\.kubernetes\\.io/control-plane= --overwrite$`, "m"));
            assert.match(wait, new RegExp(`^k taint node ${cp} node-role\\.kubernetes\\.io/control-plane:NoSchedule --overwrite$`, "m"));
            assert.match(
                filesOf(prod, `k8s-${cp}-files`).get("/var/lib/kubelet/config.yaml")!.content,
                /registerWithTaints:\n {2}- key: node-role\.kubernetes\.io\/control-plane\n {4}effect: NoSchedule/,
            );
        }
        assert.doesNotMatch(wait, /node w\d/);
        assert.doesNotMatch(filesOf(prod, "k8s-w1-files").get("/var/lib/kubelet/config.yaml")!.content, /registerWithTaints/);
    });

    it("sends each host only its own keys, on stdin (a secret); CA keys go nowhere", () => {
        const w1 = stdinFilesOf(prod, "k8s-w1-pki");
        assert.deepEqual([...w1.keys()].sort(), [
            "/etc/kubernetes/pki/ca.crt",
            "/var/lib/kubelet/pki/kubelet-client.crt",
            "/var/lib/kubelet/pki/kubelet-client.key",
            "/var/lib/kubelet/pki/kubelet.crt",
            "/var/lib/kubelet/pki/kubelet.key",
        ]);
        assert.match(w1.get("/var/lib/kubelet/pki/kubelet-client.key")!.content, /FAKE k8s-pki-w1-kubelet-client-g0-key/);
        assert.equal(w1.get("/var/lib/kubelet/pki/kubelet-client.key")!.mode, "0600");
        const cp1 = stdinFilesOf(prod, "k8s-cp1-pki");
        for (const f of [
            "/etc/kubernetes/pki/etcd/peer.key",
            "/etc/kubernetes/pki/sa.key",
            "/etc/kubernetes/pki/apiserver.key",
            "/etc/kubernetes/pki/etcd/ca.crt",
        ]) {
            assert.ok(cp1.has(f), `cp1 gets ${f}`);
        }
        assert.match(
            cp1.get("/etc/kubernetes/pki/etcd/peer.key")!.content,
            /FAKE k8s-pki-cp1-etcd-peer-g0-key/,
            "cp1 gets its own key, not a peer's",
        );
        for (const r of prod.filter((x) => x.name.startsWith("k8s-") && x.type === "command:remote:Command")) {
            for (const [f, { content }] of r.inputs.stdin === undefined ? [] : stdinFilesOf(prod, r.name)) {
                assert.doesNotMatch(content, /FAKE k8s-pki-ca-[a-z-]+-key/, `${r.name}:${f} must not be a CA key`);
            }
            if (r.name.endsWith("-pki")) assert.ok(isSecret(r.inputs.stdin), `${r.name} stdin must be secret`);
        }
        // Decoded key files are base64 in the command: make sure nothing else holds a private key in clear.
        for (const r of prod.filter((x) => x.name.endsWith("-files") && x.name.startsWith("k8s-"))) {
            for (const [f, { content }] of filesOf(prod, r.name)) assert.doesNotMatch(content, /PRIVATE KEY/, `${r.name}:${f}`);
        }
    });

    it("writes the encryption config only to control-plane nodes, on the pki step's (secret) stdin, mode 0600; the key is in no command text", () => {
        for (const cp of ["cp1", "cp2", "cp3"]) {
            const f = stdinFilesOf(prod, `k8s-${cp}-pki`).get(ENCRYPTION_CONFIG_PATH);
            assert.ok(f, `${cp} gets the encryption config`);
            assert.equal(f.mode, "0600");
            const conf = parse(f.content);
            assert.deepEqual(
                conf.resources[0].providers[0].secretbox.keys.map((k: { secret: string }) => k.secret),
                [TEST_ENCRYPTION_KEY],
            );
            assert.ok(isSecret(get(prod, `k8s-${cp}-pki`).inputs.stdin));
        }
        assert.ok(!stdinFilesOf(prod, "k8s-w1-pki").has(ENCRYPTION_CONFIG_PATH));
        for (const r of prod.filter((x) => x.type === "command:remote:Command")) {
            const text = unwrap(r.inputs.create) ?? "";
            assert.ok(!text.includes(TEST_ENCRYPTION_KEY), `${r.name} carries the encryption key`);
            for (const [p, { content }] of decodeInstalledFiles(text))
                assert.ok(!content.includes(TEST_ENCRYPTION_KEY), `${r.name}:${p} carries the encryption key`);
            if (!/^k8s-cp\d-pki$/.test(r.name) && r.inputs.stdin !== undefined) {
                for (const [p, { content }] of stdinFilesOf(prod, r.name))
                    assert.ok(!content.includes(TEST_ENCRYPTION_KEY), `${r.name}:${p} (stdin) carries the encryption key`);
            }
        }
    });

    it("the pure step texts the lab runs give what the program sends: the wait with labels and taints, the encryption config in hostPkiFiles", () => {
        const config = validateStackConfig(prodConfig());
        assert.equal(
            unwrap(get(prod, "k8s-control-plane-ready").inputs.create),
            waitControlPlaneCommand(APISERVER_PROXY_PORT, controlPlaneNodeRoles(config), APISERVER_PORT),
        );
        // The provider talks to cp1's apiserver alone: the wait asks it after the proxy, before etcd's members.
        const wait = unwrap(get(prod, "k8s-control-plane-ready").inputs.create);
        const own = wait.indexOf(`wait_until 900 "this node's own apiserver (https://[::1]:6443/readyz)`);
        assert.ok(
            own > wait.indexOf("an apiserver through [::1]:7445") && own < wait.indexOf("every etcd member started and healthy"),
            wait,
        );
        assert.match(wait, /http_ok https:\/\/\[::1\]:6443\/readyz$/m);
        const sent = stdinFilesOf(prod, "k8s-cp1-pki").get(ENCRYPTION_CONFIG_PATH)!;
        assert.equal(sent.content, renderEncryptionConfig([TEST_ENCRYPTION_KEY]));
        const pems = {
            caCerts: Object.fromEntries(CA_PROFILES.map((c) => [c.id, `CA ${c.id}`])) as Record<Signer, string>,
            leaves: {},
            serviceAccount: { publicKey: "SA PUB", privateKey: "SA KEY" },
        };
        const extras = { encryptionKeys: [TEST_ENCRYPTION_KEY] };
        assert.deepEqual(hostPkiFiles({ name: "cp1", controlPlane: true }, [], pems, extras).get(ENCRYPTION_CONFIG_PATH), sent);
        assert.ok(!hostPkiFiles({ name: "w1", controlPlane: false }, [], pems, extras).has(ENCRYPTION_CONFIG_PATH), "workers never get it");
        assert.ok(
            !hostPkiFiles({ name: "cp1", controlPlane: true }, [], pems).has(ENCRYPTION_CONFIG_PATH),
            "without keys, no encryption config",
        );
    });

    it("sends exactly the files `npm run render` shows (but for the certificates' hash)", () => {
        const offline = renderStack(readStackFile(path.join(__dirname, "..", "..", "Pulumi.prod.yaml")));
        for (const name of ["cp1", "w1"]) {
            const sent = filesOf(prod, `k8s-${name}-files`);
            const host = offline.find((h) => h.net.name === name)!;
            const rendered = host.kubernetes;
            // The command steps too: preflight and the pki installer as sent; the keys (stdin) only as a marker.
            assert.equal(unwrap(get(prod, `k8s-${name}-preflight`).inputs.create), host.kubernetesCommands.preflight);
            assert.equal(unwrap(get(prod, `k8s-${name}-pki`).inputs.create), host.kubernetesCommands.pki);
            assert.equal(host.kubernetesCommands.pkiStdin, `<stdin:certificates-and-keys:${name}>`);
            assert.deepEqual([...sent.keys()], [...rendered.keys()], `${name}: the same files in the same order`);
            for (const [file, { content }] of rendered) {
                assert.equal(withoutCertificatesHash(sent.get(file)!.content), withoutCertificatesHash(content), `${name}:${file}`);
            }
        }
    });

    it("writes the control plane only on control-plane nodes, and the apiserver proxy everywhere", () => {
        const cp = filesOf(prod, "k8s-cp2-files");
        const w = filesOf(prod, "k8s-w2-files");
        for (const m of ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler"]) {
            assert.ok(cp.has(`/etc/kubernetes/manifests/${m}.yaml`), `cp2 has ${m}`);
            assert.ok(!w.has(`/etc/kubernetes/manifests/${m}.yaml`), `w2 has no ${m}`);
        }
        for (const files of [cp, w]) assert.ok(files.has("/etc/kubernetes/manifests/apiserver-proxy.yaml"));
        assert.match(cp.get("/etc/kubernetes/manifests/etcd.yaml")!.content, /--initial-cluster-state=new/);
        assert.match(cp.get("/etc/kubernetes/manifests/etcd.yaml")!.content, /v6k8s\.io\/certificates/);
    });

    it("exports the apiserver endpoints and a secret admin kubeconfig for the first control-plane node", async () => {
        assert.deepEqual(await resolve(outputs.apiserverEndpoints as string[]), [
            "https://[2001:db8:10a:1f2e::2]:6443",
            "https://[2001:db8:10b:2c41::2]:6443",
            "https://[2001:db8:10c:93a0::2]:6443",
        ]);
        const kubeconfig = outputs.kubeconfig as { isSecret: Promise<boolean> };
        assert.equal(await kubeconfig.isSecret, true);
        const text = (await resolve(outputs.kubeconfig as string))!;
        assert.match(text, /server: https:\/\/\[2001:db8:10a:1f2e::2\]:6443/);
        assert.match(Buffer.from(/client-key-data: (\S+)/.exec(text)![1], "base64").toString(), /FAKE k8s-pki-admin-g0-key/);
    });

    it("renders each kubelet's settings: a node's own block over cluster.kubelet over the defaults, key by key (program and offline render alike)", async () => {
        const raw = small();
        raw.cluster.kubelet = { evictionHard: { "memory.available": "500Mi" }, shutdownGracePeriodSeconds: 60 };
        raw.nodes[3].kubelet = { systemReserved: { cpu: "2" }, shutdownGracePeriodCriticalPodsSeconds: 20 };
        const { resources } = await sharedRun(raw);
        const kubeletOf = (n: string) => parse(filesOf(resources, `k8s-${n}-files`).get("/var/lib/kubelet/config.yaml")!.content);
        const w1 = kubeletOf("w1");
        assert.deepEqual(w1.systemReserved, { cpu: "2" });
        assert.deepEqual(w1.kubeReserved, { cpu: "100m", memory: "256Mi" });
        assert.deepEqual(w1.evictionHard, { "memory.available": "500Mi" });
        assert.equal(w1.shutdownGracePeriod, "60s");
        assert.equal(w1.shutdownGracePeriodCriticalPods, "20s");
        const cp1 = kubeletOf("cp1");
        assert.deepEqual(cp1.systemReserved, { cpu: "100m", memory: "256Mi" });
        assert.deepEqual(cp1.evictionHard, { "memory.available": "500Mi" });
        assert.equal(cp1.shutdownGracePeriodCriticalPods, "10s");
        const offline = renderStack(validateStackConfig(raw as unknown as Record<string, unknown>));
        const offlineW1 = offline.find((h) => h.net.name === "w1")!.kubernetes.get("/var/lib/kubelet/config.yaml")!.content;
        assert.deepEqual(parse(offlineW1), w1);
    });

    it("opens the apiserver port to adminPrefixes on control-plane nodes only", async () => {
        const { resources } = await sharedRun(small());
        const fw = (n: string) =>
            decodeInstalledFiles(unwrap(get(resources, `node-${n}-files`).inputs.create)).get("/etc/v6k8s/host-firewall.nft")!.content;
        assert.match(fw("cp1"), /ip6 saddr \{ 2001:db8:ad::\/48 \} tcp dport 6443 accept/);
        assert.doesNotMatch(fw("w1"), /6443/);
    });

    it("adding a worker leaves every existing node's Kubernetes steps unchanged", async () => {
        const before = (await sharedRun(small())).resources;
        const raw = small();
        raw.nodes.push(dedicated("w2", 12, ["worker"], "2001:db8:b:2::/64"));
        const after = (await sharedRun(raw)).resources;
        for (const n of ["cp1", "cp2", "cp3", "w1"]) {
            const cp = n.startsWith("cp") ? ["controllers", "kubelet"] : [];
            for (const step of ["preflight", "pki", "files", "binaries", "start", "drain", "uncordon", ...cp]) {
                assert.deepEqual(get(after, `k8s-${n}-${step}`).inputs, get(before, `k8s-${n}-${step}`).inputs, `k8s-${n}-${step} changed`);
            }
        }
    });

    it("a control-plane node with joinEtcd starts etcd as a member of the existing cluster", async () => {
        const raw = small();
        raw.nodes.push(
            dedicated("cp4", 4, ["control-plane"], "2001:db8:a:4::/64", { joinEtcd: true }),
            dedicated("cp5", 5, ["control-plane"], "2001:db8:a:5::/64", { joinEtcd: true }),
        );
        const { resources } = await sharedRun(raw);
        assert.match(
            filesOf(resources, "k8s-cp4-files").get("/etc/kubernetes/manifests/etcd.yaml")!.content,
            /--initial-cluster-state=existing/,
        );
        assert.match(
            filesOf(resources, "k8s-cp1-files").get("/etc/kubernetes/manifests/etcd.yaml")!.content,
            /--initial-cluster-state=new/,
        );
        // Joining members go first: they restore the quorum `member add` took away.
        assert.ok(!get(resources, "k8s-cp4-files").dependsOn.some((d) => /^k8s-cp\d-start$/.test(d)), "cp4 starts first");
        assert.ok(get(resources, "k8s-cp5-files").dependsOn.includes("k8s-cp4-start"));
        assert.ok(get(resources, "k8s-cp1-files").dependsOn.includes("k8s-cp5-start"), "existing members after the joiners");
    });

    it("cluster.etcdVersion reaches the etcd manifest's image and the etcdutl control-plane nodes install", async () => {
        const raw = small();
        Object.assign(raw.cluster as Record<string, unknown>, { kubernetesVersion: "1.33.13", etcdVersion: "3.5.36" });
        const { resources } = await sharedRun(raw);
        const files = filesOf(resources, "k8s-cp1-files");
        assert.match(files.get("/etc/kubernetes/manifests/etcd.yaml")!.content, /image: registry\.k8s\.io\/etcd:3\.5\.36-0$/m);
        assert.match(files.get("/usr/local/lib/v6k8s/install-binaries.sh")!.content, /etcdutl version: 3\.5\.36/);
    });

    it("a kubernetesVersion change re-runs the version-skew preflight and binaries with the new version", async () => {
        const raw = small();
        (raw.cluster as Record<string, unknown>).kubernetesVersion = "1.35.0";
        const { resources } = await sharedRun(raw);
        assert.match(unwrap(get(resources, "k8s-cp1-preflight").inputs.create), /Version-skew preflight for Kubernetes 1\.35\.0/);
        assert.match(filesOf(resources, "k8s-cp1-files").get("/usr/local/lib/v6k8s/install-binaries.sh")!.content, /kubelet v1\.35\.0/);
        // Every step of the skew order re-runs: the staged manifests, each kubelet with its drain and uncordon.
        const before = (await sharedRun(small())).resources;
        const triggers = (rs: RecordedResource[], n: string) => JSON.stringify(get(rs, n).inputs.triggers);
        for (const n of ["cp1-controllers", "cp1-kubelet", "cp1-drain", "cp1-uncordon", "w1-drain", "w1-binaries", "w1-uncordon"])
            assert.notEqual(triggers(resources, `k8s-${n}`), triggers(before, `k8s-${n}`), `k8s-${n} re-runs`);
    });
});
