import { strict as assert } from "assert";
import { parse } from "yaml";
import { ETCD_DATA_DIR, MANIFEST_DIR, PATHS, PKI_DIR } from "../../components/controlplane/paths";
import { APISERVER_MANIFEST_PATH, apiserverFlags, etcdServers } from "../../components/controlplane/render/apiserver";
import {
    APISERVER_PROXY_MANIFEST_PATH,
    renderApiserverProxyConfig,
    renderApiserverProxyManifest,
} from "../../components/controlplane/render/apiserverProxy";
import { CONTROLLER_MANAGER_MANIFEST_PATH, controllerManagerFlags } from "../../components/controlplane/render/controllerManager";
import { ETCD_MANIFEST_PATH, etcdFlags, renderEtcdManifest } from "../../components/controlplane/render/etcd";
import { kubernetesFiles } from "../../components/controlplane/render/files";
import { KUBELET_UNIT_PATH, MESH_UNIT } from "../../components/controlplane/render/kubelet";
import { meshCommand } from "../../components/hosts/render/commands";
import { controlPlaneTainted } from "../../components/controlplane/render/nodeRoles";
import { AUDIT_POLICY_PATH } from "../../components/controlplane/render/audit";
import { ENCRYPTION_CONFIG_PATH, encryptionKeyName, renderEncryptionConfig } from "../../components/controlplane/render/encryption";
import { SCHEDULER_MANIFEST_PATH } from "../../components/controlplane/render/scheduler";
import { AUTHENTICATION_CONFIG_PATH } from "../../components/controlplane/render/authentication";
import { renderStartKubelet } from "../../components/controlplane/render/activate";
import { expectGolden } from "../support/golden";
import { CLUSTER_ULA, fixture } from "./fixture";

const f = fixture();
const CONTROL_PLANE = ["cp1", "cp2", "cp3"];
const ALL = [...CONTROL_PLANE, "w1"];
const filesOf = (name: string) => kubernetesFiles(f.cluster, f.node(name));
const mesh = (name: string) => f.node(name).meshAddress;
const yaml11 = (text: string) => parse(text, { version: "1.1" });

type Container = { name: string; image: string; command: string[]; volumeMounts: { name: string; mountPath: string }[] };
type Pod = {
    apiVersion: string;
    kind: string;
    metadata: { name: string; namespace: string; annotations?: Record<string, string> };
    spec: {
        hostNetwork: boolean;
        priorityClassName: string;
        containers: Container[];
        volumes: { name: string; hostPath: { path: string } }[];
    };
};

function pod(node: string, path: string): Pod {
    const file = filesOf(node).get(path);
    assert.ok(file, `${node} has no ${path}`);
    return yaml11(file.content) as Pod;
}

/** `--name=value` flags of a command, as a map; a flag given twice is an error. */
function flagMap(command: readonly string[]): Map<string, string> {
    const out = new Map<string, string>();
    for (const arg of command.slice(1)) {
        const m = /^--([a-z0-9-]+)=(.*)$/.exec(arg);
        assert.ok(m, `"${arg}" is not --flag=value`);
        assert.ok(!out.has(m[1]), `--${m[1]} is given twice`);
        out.set(m[1], m[2]);
    }
    return out;
}

const flagsOf = (node: string, path: string) => flagMap(pod(node, path).spec.containers[0].command);

describe("control-plane renderers: golden files under test/golden/controlplane/<node>/<path on host>", () => {
    // cp1 and cp2 differ in the local-first etcd list; w1 is a worker (runtime, kubelet, proxy only).
    for (const name of ["cp1", "cp2", "w1"]) {
        for (const [path, { content }] of filesOf(name)) {
            it(`${name}: ${path}`, () => expectGolden(`controlplane/${name}${path}`, content));
        }
    }
});

describe("control-plane renderers: properties", () => {
    it("the fixture comes from the address plan: mesh addresses are <cluster>:<index>::1", () => {
        assert.equal(CLUSTER_ULA, "fd8a:31c2:7c1f:1::/64");
        assert.deepEqual(ALL.map(mesh), [
            "fd8a:31c2:7c1f:1:1::1",
            "fd8a:31c2:7c1f:1:2::1",
            "fd8a:31c2:7c1f:1:3::1",
            "fd8a:31c2:7c1f:1:b::1",
        ]);
        assert.equal(f.cluster.serviceRange.toString(), "fd8a:31c2:7c1f:1::/112");
    });

    it("every manifest parses back (as YAML 1.1, like the kubelet, and 1.2 alike) to a v1 Pod in kube-system", () => {
        for (const name of ALL) {
            for (const [path, { content }] of filesOf(name)) {
                if (!path.startsWith(`${MANIFEST_DIR}/`)) continue;
                const p = yaml11(content) as Pod;
                assert.deepEqual(parse(content), p, `${name}:${path} reads differently as YAML 1.2`);
                assert.equal(p.apiVersion, "v1");
                assert.equal(p.kind, "Pod");
                assert.equal(p.metadata.namespace, "kube-system");
                assert.equal(`${MANIFEST_DIR}/${p.metadata.name}.yaml`, path);
                assert.equal(p.spec.hostNetwork, true);
                assert.equal(p.spec.priorityClassName, "system-node-critical");
                const volumes = new Set(p.spec.volumes.map((v) => v.name));
                assert.equal(volumes.size, p.spec.volumes.length, "volume names are unique");
                for (const c of p.spec.containers) {
                    assert.ok(
                        c.command.every((a) => typeof a === "string"),
                        `${name}:${path}: every argument is a string`,
                    );
                    for (const m of c.volumeMounts) assert.ok(volumes.has(m.name), `${name}:${path}: mount ${m.name} has a volume`);
                }
            }
        }
    });

    it("every other YAML file parses back to its kind", () => {
        for (const name of ALL) {
            const files = filesOf(name);
            assert.equal(yaml11(files.get(PATHS.kubeletConfig)!.content).kind, "KubeletConfiguration");
            assert.equal(yaml11(files.get(PATHS.kubeletKubeconfig)!.content).kind, "Config");
        }
        for (const path of [PATHS.controllerManagerKubeconfig, PATHS.schedulerKubeconfig]) {
            assert.equal(yaml11(filesOf("cp1").get(path)!.content).kind, "Config");
        }
    });

    it("every URL parses, and every IPv6 literal in a URL is bracketed (haproxy.cfg: see the proxy tests)", () => {
        let urls = 0;
        for (const name of ALL) {
            for (const [path, { content }] of filesOf(name)) {
                for (const [text] of content.matchAll(/https?:\/\/[^\s,"']+/g)) {
                    const url = new URL(text);
                    urls++;
                    if (url.hostname.includes(":")) assert.match(url.hostname, /^\[[0-9a-f:]+\]$/, `${name}:${path}: ${text}`);
                    else assert.match(url.hostname, /^[a-z][a-z0-9.-]*$/, `${name}:${path}: ${text} is neither a name nor bracketed`);
                }
                assert.doesNotMatch(content, /https?:\/\/(?!\[)[0-9a-f]*:/i, `${name}:${path}: unbracketed IPv6 URL`);
            }
        }
        assert.ok(urls > 40, `only ${urls} URLs checked`);
    });

    it("nothing anywhere enables DenyServiceExternalIPs (services use externalIPs)", () => {
        for (const name of ALL) {
            for (const [path, { content }] of filesOf(name)) assert.doesNotMatch(content, /DenyServiceExternalIPs/, `${name}:${path}`);
        }
        for (const name of CONTROL_PLANE) {
            assert.equal(flagsOf(name, APISERVER_MANIFEST_PATH).get("enable-admission-plugins"), "NodeRestriction");
            assert.equal(flagsOf(name, APISERVER_MANIFEST_PATH).get("disable-admission-plugins"), undefined);
        }
    });

    it("workers get the runtime, the kubelet and the proxy, and no control-plane file", () => {
        const worker = [...filesOf("w1").keys()];
        for (const path of [
            ETCD_MANIFEST_PATH,
            APISERVER_MANIFEST_PATH,
            CONTROLLER_MANAGER_MANIFEST_PATH,
            SCHEDULER_MANIFEST_PATH,
            PATHS.controllerManagerKubeconfig,
            PATHS.schedulerKubeconfig,
        ]) {
            assert.ok(!worker.includes(path), path);
            for (const cp of CONTROL_PLANE) assert.ok(filesOf(cp).has(path), `${cp} lacks ${path}`);
        }
        for (const name of ALL) {
            for (const path of [
                APISERVER_PROXY_MANIFEST_PATH,
                PATHS.apiserverProxyConfig,
                PATHS.kubeletConfig,
                PATHS.kubeletKubeconfig,
                KUBELET_UNIT_PATH,
            ]) {
                assert.ok(filesOf(name).has(path), `${name} lacks ${path}`);
            }
            for (const path of filesOf(name).keys()) assert.ok(path.startsWith("/"), path);
        }
    });
});

describe("etcd", () => {
    const members = CONTROL_PLANE.map((n) => `${n}=https://[${mesh(n)}]:2380`).join(",");

    it("lists every bootstrap member in --initial-cluster, sorted, on every member", () => {
        for (const name of CONTROL_PLANE) assert.equal(flagsOf(name, ETCD_MANIFEST_PATH).get("initial-cluster"), members);
    });

    it("serves clients on [::1] and the mesh, peers and advertisements on the mesh only, metrics on [::1]", () => {
        for (const name of CONTROL_PLANE) {
            const flags = flagsOf(name, ETCD_MANIFEST_PATH);
            const m = mesh(name);
            assert.equal(flags.get("name"), name);
            assert.equal(flags.get("data-dir"), ETCD_DATA_DIR);
            assert.equal(flags.get("listen-client-urls"), `https://[::1]:2379,https://[${m}]:2379`);
            assert.equal(flags.get("advertise-client-urls"), `https://[${m}]:2379`);
            assert.equal(flags.get("listen-peer-urls"), `https://[${m}]:2380`);
            assert.equal(flags.get("initial-advertise-peer-urls"), `https://[${m}]:2380`);
            assert.equal(flags.get("listen-metrics-urls"), "http://[::1]:2381");
            assert.equal(flags.get("client-cert-auth"), "true");
            assert.equal(flags.get("peer-client-cert-auth"), "true");
            assert.equal(flags.get("cert-file"), PATHS.etcdServer.cert);
            assert.equal(flags.get("peer-cert-file"), PATHS.etcdPeer.cert);
            assert.equal(flags.get("trusted-ca-file"), PATHS.etcdCa.cert);
            assert.equal(flags.get("peer-trusted-ca-file"), PATHS.etcdCa.cert);
        }
    });

    it("initial-cluster-state is a parameter: a member joining a running cluster says existing", () => {
        const joining = yaml11(renderEtcdManifest(f.cluster, f.node("cp3"), "existing")) as Pod;
        assert.equal(flagMap(joining.spec.containers[0].command).get("initial-cluster-state"), "existing");
        assert.equal(flagsOf("cp3", ETCD_MANIFEST_PATH).get("initial-cluster-state"), "new");
        assert.throws(() => etcdFlags(f.cluster, f.node("cp3"), "bogus" as "new"), RangeError);
    });

    it("the pod runs exactly etcdFlags(), and those use only flags etcd 3.5 and 3.6 accept (3.4 too, but for --tls-min-version)", () => {
        // Checked against etcd v3.4.23 (Debian 12), v3.5.24 and v3.6.8: present and not deprecated in all.
        const portable = new Set([
            "name",
            "data-dir",
            "logger",
            "listen-client-urls",
            "advertise-client-urls",
            "listen-peer-urls",
            "initial-advertise-peer-urls",
            "initial-cluster",
            "initial-cluster-state",
            "initial-cluster-token",
            "client-cert-auth",
            "trusted-ca-file",
            "cert-file",
            "key-file",
            "peer-client-cert-auth",
            "peer-trusted-ca-file",
            "peer-cert-file",
            "peer-key-file",
            "listen-metrics-urls",
            // Since etcd 3.5 (Kubernetes 1.31+ ships 3.5 or 3.6; 3.4 is only Debian's, for the network lab).
            "tls-min-version",
        ]);
        for (const name of CONTROL_PLANE) {
            const flags = etcdFlags(f.cluster, f.node(name), "new");
            assert.deepEqual(pod(name, ETCD_MANIFEST_PATH).spec.containers[0].command, ["etcd", ...flags]);
            for (const flag of flagMap(["etcd", ...flags]).keys()) assert.ok(portable.has(flag), `--${flag} is not known to be portable`);
        }
    });

    it("probes /health on [::1]:2381 over plain HTTP", () => {
        const c = pod("cp1", ETCD_MANIFEST_PATH).spec.containers[0] as unknown as Record<
            string,
            { httpGet: { host: string; port: number; path: string; scheme: string } }
        >;
        for (const probe of ["livenessProbe", "startupProbe"]) {
            assert.equal(c[probe].httpGet.host, "::1");
            assert.equal(c[probe].httpGet.port, 2381);
            assert.equal(c[probe].httpGet.scheme, "HTTP");
            assert.match(c[probe].httpGet.path, /^\/health\?/);
        }
    });
});

describe("kube-apiserver", () => {
    it("reaches etcd through its own member over [::1] only (a member change restarts no apiserver)", () => {
        for (const name of CONTROL_PLANE) {
            assert.equal(flagsOf(name, APISERVER_MANIFEST_PATH).get("etcd-servers"), "https://[::1]:2379");
            assert.deepEqual(etcdServers(f.cluster, f.node(name)), ["https://[::1]:2379"]);
        }
    });

    it("advertises its mesh address, serves the /112 and issues tokens for kubernetes.default.svc.<domain>", () => {
        const flags = flagsOf("cp2", APISERVER_MANIFEST_PATH);
        assert.equal(flags.get("advertise-address"), mesh("cp2"));
        assert.equal(flags.get("bind-address"), "::");
        assert.equal(flags.get("secure-port"), "6443");
        assert.equal(flags.get("service-cluster-ip-range"), "fd8a:31c2:7c1f:1::/112");
        assert.equal(flags.get("service-account-issuer"), "https://kubernetes.default.svc.cluster.local");
        assert.equal(flags.get("authorization-mode"), "Node,RBAC");
        assert.equal(flags.get("kubelet-preferred-address-types"), "InternalIP");
        assert.equal(flags.get("allow-privileged"), "true");
        assert.equal(flags.get("etcd-certfile"), PATHS.apiserverEtcdClient.cert);
        assert.equal(flags.get("kubelet-client-certificate"), PATHS.apiserverKubeletClient.cert);
        assert.equal(flags.get("requestheader-client-ca-file"), PATHS.frontProxyCa.cert);
        assert.equal(flags.get("proxy-client-cert-file"), PATHS.frontProxyClient.cert);
        assert.equal(flags.get("anonymous-auth"), undefined, "the proxies' /readyz checks are anonymous");
        assert.deepEqual(
            ["kube-apiserver", ...apiserverFlags(f.cluster, f.node("cp2"))],
            pod("cp2", APISERVER_MANIFEST_PATH).spec.containers[0].command,
        );
    });

    it("encrypts Secrets at rest with the PKI step's encryption config and writes a rotated audit log, both mounted", () => {
        for (const name of CONTROL_PLANE) {
            const flags = flagsOf(name, APISERVER_MANIFEST_PATH);
            assert.equal(flags.get("encryption-provider-config"), ENCRYPTION_CONFIG_PATH);
            assert.equal(flags.get("audit-policy-file"), AUDIT_POLICY_PATH);
            assert.equal(flags.get("audit-log-path"), "/var/log/kubernetes/audit/audit.log");
            assert.equal(flags.get("audit-log-maxage"), "30");
            assert.equal(flags.get("audit-log-maxbackup"), "10");
            assert.equal(flags.get("audit-log-maxsize"), "100");
            const p = pod(name, APISERVER_MANIFEST_PATH);
            const volumes = new Map(p.spec.volumes.map((v) => [v.name, v.hostPath as { path: string; type: string }]));
            const mounts = new Map(
                p.spec.containers[0].volumeMounts.map((m) => [m.name, m as unknown as { mountPath: string; readOnly: boolean }]),
            );
            // Every file a flag names is inside a mounted path, at the same place in the container.
            for (const file of [ENCRYPTION_CONFIG_PATH, AUDIT_POLICY_PATH, "/var/log/kubernetes/audit/audit.log"]) {
                const mount = [...mounts.values()].find((m) => file === m.mountPath || file.startsWith(`${m.mountPath}/`));
                assert.ok(mount, `${name}: ${file} is not mounted`);
            }
            assert.deepEqual(volumes.get("audit-log"), { path: "/var/log/kubernetes/audit", type: "DirectoryOrCreate" });
            assert.equal(mounts.get("audit-log")!.readOnly, false, "the apiserver writes the log");
            assert.equal(mounts.get("audit-policy")!.readOnly, true);
            assert.equal(mounts.get("k8s-certs")!.readOnly, true);
            // The policy is a plain file of the files step; the encryption config (a key) is not.
            assert.equal(filesOf(name).get(AUDIT_POLICY_PATH)!.mode, "0644");
            assert.ok(!filesOf(name).has(ENCRYPTION_CONFIG_PATH));
        }
        assert.ok(!filesOf("w1").has(AUDIT_POLICY_PATH));
    });

    it("the audit policy: no probes, events or leases; metadata only for Secrets, ConfigMaps and tokens; request bodies of writes", () => {
        const policy = yaml11(filesOf("cp1").get(AUDIT_POLICY_PATH)!.content);
        assert.equal(policy.apiVersion, "audit.k8s.io/v1");
        assert.equal(policy.kind, "Policy");
        assert.deepEqual(policy.omitStages, ["RequestReceived"]);
        const rules = policy.rules as { level: string; resources?: { group: string; resources: string[] }[]; verbs?: string[] }[];
        // Rules match first to last: the Metadata rule for secrets must come before any rule that logs bodies.
        const secrets = rules.findIndex((r) => r.resources?.some((g) => g.group === "" && g.resources.includes("secrets")));
        assert.equal(rules[secrets].level, "Metadata");
        assert.ok(rules.slice(0, secrets).every((r) => r.level === "None"));
        assert.ok(rules.every((r) => r.level !== "RequestResponse"));
        assert.deepEqual(rules.at(-1), { level: "Metadata" });
        assert.deepEqual(rules.find((r) => r.level === "Request")!.verbs, ["create", "update", "patch", "delete", "deletecollection"]);
    });

    it("the encryption config: secretbox with every key (the first writes), identity only to read old data", () => {
        const a = Buffer.alloc(32, "a").toString("base64");
        const b = Buffer.alloc(32, "b").toString("base64");
        const conf = yaml11(renderEncryptionConfig([a, b]));
        assert.equal(conf.apiVersion, "apiserver.config.k8s.io/v1");
        assert.equal(conf.kind, "EncryptionConfiguration");
        assert.deepEqual(conf.resources[0].resources, ["secrets"]);
        const [secretbox, identity] = conf.resources[0].providers;
        assert.deepEqual(
            secretbox.secretbox.keys.map((k: { secret: string }) => k.secret),
            [a, b],
        );
        assert.deepEqual(
            secretbox.secretbox.keys.map((k: { name: string }) => k.name),
            [encryptionKeyName(a), encryptionKeyName(b)],
        );
        assert.notEqual(encryptionKeyName(a), encryptionKeyName(b));
        assert.match(encryptionKeyName(a), /^v6k8s-[0-9a-f]{12}$/);
        assert.deepEqual(identity, { identity: {} });
        assert.equal(conf.resources[0].providers.length, 2);
        assert.throws(() => renderEncryptionConfig([]), /at least one key/);
    });
});

describe("kube-controller-manager and kube-scheduler", () => {
    it("the controller-manager allocates no node CIDRs and signs nothing (no --cluster-signing-*)", () => {
        const flags = flagsOf("cp1", CONTROLLER_MANAGER_MANIFEST_PATH);
        assert.deepEqual(
            [...flags.keys()].filter((k) => k.startsWith("cluster-signing") || k === "cluster-cidr"),
            [],
        );
        assert.equal(flags.get("allocate-node-cidrs"), "false");
        assert.equal(flags.get("use-service-account-credentials"), "true");
        assert.equal(flags.get("service-cluster-ip-range"), "fd8a:31c2:7c1f:1::/112");
        assert.equal(flags.get("root-ca-file"), PATHS.clusterCa.cert);
        assert.equal(flags.get("service-account-private-key-file"), PATHS.serviceAccount.privateKey);
        assert.deepEqual(
            ["kube-controller-manager", ...controllerManagerFlags(f.cluster)],
            pod("cp1", CONTROLLER_MANAGER_MANIFEST_PATH).spec.containers[0].command,
        );
        // Certificates by directory (rotation replaces files by rename), the kubeconfig as a file.
        const mounted = pod("cp1", CONTROLLER_MANAGER_MANIFEST_PATH).spec.volumes.map((v) => v.hostPath.path);
        assert.deepEqual(mounted, [PKI_DIR, PATHS.controllerManagerKubeconfig]);
    });

    for (const [path, kubeconfig] of [
        [CONTROLLER_MANAGER_MANIFEST_PATH, PATHS.controllerManagerKubeconfig],
        [SCHEDULER_MANIFEST_PATH, PATHS.schedulerKubeconfig],
    ]) {
        it(`${path}: kubeconfig for all three roles, leader election, bound to ::1 and probed there`, () => {
            const flags = flagsOf("cp3", path);
            for (const k of ["kubeconfig", "authentication-kubeconfig", "authorization-kubeconfig"]) assert.equal(flags.get(k), kubeconfig);
            assert.equal(flags.get("leader-elect"), "true");
            assert.equal(flags.get("bind-address"), "::1");
            const c = pod("cp3", path).spec.containers[0] as unknown as Record<
                string,
                { httpGet: { host: string; scheme: string } } | undefined
            >;
            for (const probe of ["livenessProbe", "readinessProbe", "startupProbe"]) {
                if (c[probe]) assert.deepEqual([c[probe]!.httpGet.host, c[probe]!.httpGet.scheme], ["::1", "HTTPS"]);
            }
            const conf = yaml11(filesOf("cp3").get(kubeconfig)!.content);
            assert.equal(conf.clusters[0].cluster.server, "https://[::1]:7445");
        });
    }
});

describe("the node-local apiserver proxy", () => {
    const cfg = renderApiserverProxyConfig(f.cluster);

    it("listens on [::1]:7445 in TCP mode and has one checked server per member, at [mesh]:6443", () => {
        assert.match(cfg, /^\s+mode tcp$/m);
        assert.match(cfg, /^\s+bind \[::1\]:7445$/m);
        const servers = [...cfg.matchAll(/^\s+server (\S+) (\S+)$/gm)].map((m) => [m[1], m[2]]);
        assert.deepEqual(
            servers,
            CONTROL_PLANE.map((n) => [n, `[${mesh(n)}]:6443`]),
        );
        assert.match(cfg, /^\s+option httpchk GET \/readyz$/m);
        assert.match(cfg, /^\s+default-server check check-ssl verify none inter \d+s fall \d rise \d/m);
        assert.match(cfg, /^\s+timeout client 1h$/m);
        assert.match(cfg, /^\s+timeout server 1h$/m);
    });

    it("runs on every node and mounts its config read-only; a new config does not change the manifest (it is reloaded)", () => {
        for (const name of ALL) {
            assert.equal(filesOf(name).get(PATHS.apiserverProxyConfig)!.content, cfg);
            const p = pod(name, APISERVER_PROXY_MANIFEST_PATH);
            assert.equal(p.spec.containers[0].image, f.cluster.images.apiserverProxy);
            assert.equal(p.metadata.annotations, undefined, "an annotation would restart the proxy when it changes");
            assert.deepEqual(
                p.spec.volumes.map((v) => v.hostPath.path),
                ["/etc/kubernetes/apiserver-proxy"],
            );
            assert.equal((p.spec.containers[0].volumeMounts[0] as { readOnly?: boolean }).readOnly, true);
        }
        const one = fixture({ members: ["cp1"] }).cluster;
        assert.equal([...renderApiserverProxyConfig(one).matchAll(/^\s+server /gm)].length, 1);
        assert.equal(renderApiserverProxyManifest(one), renderApiserverProxyManifest(f.cluster));
    });

    it("does not restart for a certificate renewal: it reads no certificate (the other static pods do)", () => {
        const renewed = { ...f.cluster, staticPodAnnotations: { "v6k8s.io/certificates": "renewed" } };
        const before = { ...f.cluster, staticPodAnnotations: { "v6k8s.io/certificates": "issued" } };
        assert.equal(renderApiserverProxyManifest(renewed), renderApiserverProxyManifest(before));
        assert.notEqual(
            kubernetesFiles(renewed, f.node("cp1")).get(APISERVER_MANIFEST_PATH)!.content,
            kubernetesFiles(before, f.node("cp1")).get(APISERVER_MANIFEST_PATH)!.content,
        );
    });
});

describe("the kubelet", () => {
    it("KubeletConfiguration: listens on ::, health on ::1, static pods, systemd cgroups, cluster DNS, webhook auth", () => {
        const k = yaml11(filesOf("w1").get(PATHS.kubeletConfig)!.content);
        assert.equal(k.apiVersion, "kubelet.config.k8s.io/v1beta1");
        assert.equal(k.address, "::");
        assert.equal(k.healthzBindAddress, "::1");
        assert.equal(k.staticPodPath, MANIFEST_DIR);
        assert.equal(k.cgroupDriver, "systemd");
        assert.deepEqual(k.clusterDNS, ["fd8a:31c2:7c1f:1::a"]);
        assert.equal(k.clusterDomain, "cluster.local");
        assert.deepEqual(k.authentication, {
            anonymous: { enabled: false },
            webhook: { enabled: true },
            x509: { clientCAFile: PATHS.clusterCa.cert },
        });
        assert.deepEqual(k.authorization, { mode: "Webhook" });
        assert.equal(k.tlsCertFile, PATHS.kubeletServing.cert);
        assert.equal(k.containerRuntimeEndpoint, "unix:///run/containerd/containerd.sock");
        assert.equal(k.rotateCertificates, false);
        assert.equal(k.serverTLSBootstrap, false);
    });

    it("control-plane nodes register with the control-plane NoSchedule taint; workers, [control-plane, worker] and scheduleOnControlPlane do not", () => {
        for (const name of CONTROL_PLANE) {
            const k = yaml11(filesOf(name).get(PATHS.kubeletConfig)!.content);
            assert.deepEqual(k.registerWithTaints, [{ key: "node-role.kubernetes.io/control-plane", effect: "NoSchedule" }], name);
        }
        assert.equal(yaml11(filesOf("w1").get(PATHS.kubeletConfig)!.content).registerWithTaints, undefined);
        // The node-role label cannot come from the kubelet (NodeRestriction): never --node-labels.
        assert.doesNotMatch(filesOf("cp1").get(KUBELET_UNIT_PATH)!.content, /--node-labels/);
        assert.equal(controlPlaneTainted(["control-plane"], false), true);
        assert.equal(controlPlaneTainted(["control-plane", "worker"], false), false);
        assert.equal(controlPlaneTainted(["control-plane"], true), false);
        assert.equal(controlPlaneTainted(["worker"], false), false);
    });

    it("the unit passes the mesh address as --node-ip and the node name, after containerd, node networking and the mesh", () => {
        for (const name of ALL) {
            const unit = filesOf(name).get(KUBELET_UNIT_PATH)!.content;
            assert.match(unit, new RegExp(`--node-ip=${mesh(name)} `));
            assert.match(unit, new RegExp(`--hostname-override=${name}$`, "m"));
            assert.match(unit, /^After=containerd\.service v6k8s-network\.service$/m);
            // Ordering only (see kubelet.ts): no Wants=/Requires= on the mesh unit.
            assert.match(unit, /^After=wg-quick@wg0\.service$/m);
            assert.doesNotMatch(unit, /^(Wants|Requires)=.*wg-quick/m);
            assert.match(unit, /^Restart=always$/m);
            const conf = yaml11(filesOf(name).get(PATHS.kubeletKubeconfig)!.content);
            assert.equal(conf.clusters[0].cluster.server, "https://[::1]:7445");
            assert.equal(conf.users[0].user["client-certificate"], PATHS.kubeletClient.cert);
        }
    });
});

describe("the kubelet after a reboot", () => {
    it("is ordered after the mesh unit the mesh step enables at boot", () => {
        assert.equal(MESH_UNIT, "wg-quick@wg0.service");
        assert.match(meshCommand(new Map()), new RegExp(`^systemctl enable ${MESH_UNIT.replace(/\.service$/, "")}$`, "m"));
        assert.match(filesOf("cp1").get(KUBELET_UNIT_PATH)!.content, new RegExp(`^After=${MESH_UNIT}$`, "m"));
    });
});

describe("file order", () => {
    it("kubernetesFiles lists every file a static pod mounts before the manifests", () => {
        for (const name of ALL) {
            const order = [...filesOf(name).keys()];
            for (const manifest of order.filter((p) => p.startsWith(`${MANIFEST_DIR}/`))) {
                for (const v of pod(name, manifest).spec.volumes) {
                    for (const dep of order.filter((p) => p === v.hostPath.path || p.startsWith(`${v.hostPath.path}/`))) {
                        assert.ok(order.indexOf(dep) < order.indexOf(manifest), `${name}: ${dep} comes after ${manifest}`);
                    }
                }
            }
        }
    });
});

describe("renders are deterministic", () => {
    it("the order of controlPlane does not matter", () => {
        const reversed = { ...f.cluster, controlPlane: [...f.cluster.controlPlane].reverse() };
        for (const name of ALL) {
            assert.deepEqual([...kubernetesFiles(reversed, f.node(name))], [...filesOf(name)]);
        }
    });
});

describe("hardening (issue 22 item 3)", () => {
    const flagsIn = (manifest: string) => (yaml11(manifest) as Pod).spec.containers[0].command;

    it("anonymous requests reach the health endpoints only: the apiserver reads an AuthenticationConfiguration that says so, mounted and hashed", () => {
        const files = filesOf("cp1");
        const config = parse(files.get(AUTHENTICATION_CONFIG_PATH)!.content);
        assert.equal(config.kind, "AuthenticationConfiguration");
        assert.deepEqual(config.anonymous, { enabled: true, conditions: [{ path: "/livez" }, { path: "/readyz" }, { path: "/healthz" }] });
        const pod = yaml11(files.get(APISERVER_MANIFEST_PATH)!.content) as Pod;
        assert.ok(pod.spec.containers[0].command.includes(`--authentication-config=${AUTHENTICATION_CONFIG_PATH}`));
        // --anonymous-auth and an anonymous block in the file are mutually exclusive for the apiserver.
        assert.ok(!pod.spec.containers[0].command.some((a) => a.startsWith("--anonymous-auth")));
        assert.ok(pod.spec.volumes.some((v) => v.hostPath.path === AUTHENTICATION_CONFIG_PATH));
        assert.ok(Object.keys(pod.metadata.annotations ?? {}).some((k) => k.endsWith("/authentication-config")));
        assert.equal(filesOf("w1").has(AUTHENTICATION_CONFIG_PATH), false);
    });

    it("1.31 keeps the apiserver's default anonymous handling (its conditions need an alpha gate there)", () => {
        const old = fixture({ version: "1.31.4" });
        const files = kubernetesFiles(old.cluster, old.node("cp1"));
        assert.equal(files.has(AUTHENTICATION_CONFIG_PATH), false);
        assert.ok(!flagsIn(files.get(APISERVER_MANIFEST_PATH)!.content).some((a) => a.startsWith("--authentication-config")));
    });

    it("no profiling, TLS 1.2 at least: apiserver, controller-manager, scheduler, etcd and the kubelet", () => {
        const files = filesOf("cp1");
        for (const path of [APISERVER_MANIFEST_PATH, CONTROLLER_MANAGER_MANIFEST_PATH, SCHEDULER_MANIFEST_PATH]) {
            const flags = flagsIn(files.get(path)!.content);
            assert.ok(flags.includes("--profiling=false"), path);
            assert.ok(flags.includes("--tls-min-version=VersionTLS12"), path);
        }
        assert.ok(flagsIn(files.get(ETCD_MANIFEST_PATH)!.content).includes("--tls-min-version=TLS1.2"));
        assert.equal(parse(filesOf("w1").get(PATHS.kubeletConfig)!.content).tlsMinVersion, "VersionTLS12");
    });

    it("the start step asks the local apiserver's /version with the kubelet's client certificate (not anonymously)", () => {
        const script = renderStartKubelet({
            kubernetesVersion: "1.34.2",
            apiserverPort: 6443,
            kubeletHealthzPort: 10248,
            etcdMetricsPort: 2381,
            controlPlane: true,
        });
        assert.match(
            script,
            new RegExp(
                `curl -fsk --max-time 2 --cert ${PATHS.kubeletClient.cert} --key ${PATHS.kubeletClient.key} https://\\[::1\\]:6443/version`,
            ),
        );
    });
});
