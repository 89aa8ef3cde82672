// Bad inputs fail loudly (RangeError naming the field) before anything is rendered; defaults.
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse } from "yaml";
import { renderApiserverManifest } from "../../components/controlplane/render/apiserver";
import { renderApiserverProxyConfig } from "../../components/controlplane/render/apiserverProxy";
import { CNI_BIN_DIR, CNI_CONF_DIR, renderContainerdConfig } from "../../components/controlplane/render/containerd";
import { defaultImages } from "../../components/controlplane/render/defaults";
import { etcdFlags, renderEtcdManifest } from "../../components/controlplane/render/etcd";
import { kubernetesFiles } from "../../components/controlplane/render/files";
import { ClusterFacts } from "../../components/controlplane/render/inputs";
import { localProxyUrl, renderAdminKubeconfig, renderKubeconfig } from "../../components/controlplane/render/kubeconfig";
import { renderKubeletConfig } from "../../components/controlplane/render/kubelet";
import { hostPort, httpsUrl } from "../../components/common/net";
import { MIN_KUBERNETES_MINOR } from "../../components/config/schema";
import { Prefix } from "../../components/network/prefix";
import { fixture } from "./fixture";
import { COMPONENT_VERSIONS, etcdVersionProblem } from "../../components/common/releases";

const f = fixture();
const cp1 = f.node("cp1");
const withCluster = (patch: Partial<ClusterFacts>): ClusterFacts => ({ ...f.cluster, ...patch });

describe("control-plane renderers: inputs", () => {
    it("IPv6 helpers bracket, normalise to RFC 5952, and refuse anything but a plain IPv6 address", () => {
        assert.equal(hostPort("FD8A:31C2:7C1F:0001:0001:0000:0000:0001", 6443), "[fd8a:31c2:7c1f:1:1::1]:6443");
        assert.equal(httpsUrl("::1", 7445), "https://[::1]:7445");
        assert.equal(localProxyUrl(7445), "https://[::1]:7445");
        for (const bad of ["10.0.0.1", "fe80::1%eth0", "fd8a::/64", "[::1]", "cp1", ""]) {
            assert.throws(() => hostPort(bad, 1, "x.meshAddress"), /x\.meshAddress: .* is not an IPv6 address/, bad);
        }
        assert.throws(() => hostPort("::1", 0), RangeError);
        assert.throws(() => hostPort("::1", 65536), RangeError);
    });

    it("a node that is not a member, or disagrees on its address, cannot render control-plane files", () => {
        assert.throws(() => etcdFlags(f.cluster, f.node("w1"), "new"), /w1 is not a control-plane member/);
        assert.throws(
            () => renderApiserverManifest(f.cluster, { ...cp1, meshAddress: "fd8a:31c2:7c1f:1:9::1" }),
            /differs from its control-plane entry/,
        );
        const notMember = fixture({ members: ["cp2", "cp3"] });
        assert.throws(() => renderEtcdManifest(notMember.cluster, notMember.node("cp1"), "new"), RangeError);
        assert.deepEqual(
            [...kubernetesFiles(f.cluster, f.node("w1")).keys()].filter((p) => p.includes("etcd")),
            [],
        );
    });

    it("a broken member list is an error, not a silently odd cluster", () => {
        const cp = f.cluster.controlPlane;
        assert.throws(() => renderApiserverProxyConfig(withCluster({ controlPlane: [] })), /no control-plane member/);
        assert.throws(() => renderApiserverProxyConfig(withCluster({ controlPlane: [...cp, cp[0]] })), /cp1 is listed twice/);
        assert.throws(
            () => renderApiserverProxyConfig(withCluster({ controlPlane: [...cp, { name: "cp4", meshAddress: cp[0].meshAddress }] })),
            /share/,
        );
        assert.throws(
            () => renderApiserverProxyConfig(withCluster({ controlPlane: [{ name: "cp1", meshAddress: "192.0.2.1" }] })),
            /controlPlane\[0\] \(cp1\)\.meshAddress/,
        );
    });

    it("the service range must be an IPv6 /108../124, and the DNS address inside it", () => {
        // IPv4 and host bits cannot get this far: the range is a Prefix, parsed once by the plan
        // (Prefix.parse refuses both, test/network/prefix.test.ts).
        assert.throws(
            () => renderApiserverManifest(withCluster({ serviceRange: Prefix.parse("fd8a:31c2:7c1f:1::/64") }), cp1),
            /serviceRange: .*\/108 to \/124/,
        );
        assert.throws(
            () => renderApiserverManifest(withCluster({ serviceRange: Prefix.parse("fd8a:31c2:7c1f:1::/126") }), cp1),
            /serviceRange: .*\/108 to \/124/,
        );
        assert.throws(
            () => renderKubeletConfig(withCluster({ dnsAddress: "fd8a:31c2:7c1f:2::a" })),
            /dnsAddress: .* outside the service range/,
        );
    });

    it("cluster-wide annotations reach every static pod that reads certificates (changing one restarts them), not the proxy", () => {
        const c = withCluster({ staticPodAnnotations: { "v6k8s.io/pki-generation": "3" } });
        let seen = 0;
        for (const [p, { content }] of kubernetesFiles(c, cp1)) {
            if (!p.startsWith("/etc/kubernetes/manifests/")) continue;
            const proxy = p.endsWith("/apiserver-proxy.yaml");
            assert.equal(parse(content).metadata.annotations?.["v6k8s.io/pki-generation"], proxy ? undefined : "3", p);
            seen++;
        }
        assert.equal(seen, 5);
    });

    it("the etcd cluster token defaults to v6k8s-etcd and can be set", () => {
        assert.ok(etcdFlags(f.cluster, cp1, "new").includes("--initial-cluster-token=v6k8s-etcd"));
        assert.ok(etcdFlags(withCluster({ etcdClusterToken: "prod-1" }), cp1, "new").includes("--initial-cluster-token=prod-1"));
    });
});

describe("image defaults", () => {
    it("every supported minor has a row, from the oldest the config accepts", () => {
        const minors = Object.keys(COMPONENT_VERSIONS)
            .map(Number)
            .sort((a, b) => a - b);
        assert.equal(minors[0], MIN_KUBERNETES_MINOR);
        minors.forEach((m, i) => assert.equal(m, minors[0] + i, "no gaps"));
        for (const m of minors) {
            const images = defaultImages(`1.${m}.0`);
            assert.equal(images.apiserver, `registry.k8s.io/kube-apiserver:v1.${m}.0`);
            assert.match(images.etcd, /^registry\.k8s\.io\/etcd:3\.\d+\.\d+-0$/);
            assert.match(images.pause, /^registry\.k8s\.io\/pause:3\.\d+(\.\d+)?$/);
            assert.match(images.apiserverProxy, /^docker\.io\/library\/haproxy:3\.\d+\.\d+-alpine$/);
        }
    });

    it("etcd goes 3.5 -> 3.6 only from the last 3.5 (3.5.20+), one Kubernetes minor at a time", () => {
        const rows = Object.entries(COMPONENT_VERSIONS).sort(([a], [b]) => Number(a) - Number(b));
        for (let i = 1; i < rows.length; i++) {
            const [prev, next] = [rows[i - 1][1].etcd, rows[i][1].etcd];
            if (prev.startsWith("3.5.") && next.startsWith("3.6."))
                assert.ok(Number(prev.split(".")[2].split("-")[0]) >= 20, `${prev} -> ${next}`);
        }
    });

    it("cluster.etcdVersion replaces the etcd image's release, only with a patch at or above the pin of the same etcd minor", () => {
        assert.equal(defaultImages("1.33.13", "3.5.36").etcd, "registry.k8s.io/etcd:3.5.36-0");
        assert.equal(defaultImages("1.33.13").etcd, "registry.k8s.io/etcd:3.5.24-0");
        const table: [string, string, RegExp | undefined][] = [
            ["1.33.13", "3.5.36", undefined],
            ["1.33.13", "3.5.24", undefined],
            ["1.33.13", "3.5.19", /older than kubeadm's 3\.5\.24/],
            ["1.33.13", "3.6.8", /not an etcd 3\.5 release/],
            ["1.34.2", "3.6.9", undefined],
            ["1.34.2", "3.5.36", /not an etcd 3\.6 release/],
        ];
        for (const [k, e, want] of table) {
            const got = etcdVersionProblem(k, e);
            if (want) assert.match(got ?? "", want, `${k} + ${e}`);
            else assert.equal(got, undefined, `${k} + ${e}`);
        }
    });

    it("an unknown minor or a malformed version is a RangeError that says what to do", () => {
        assert.throws(() => defaultImages("1.30.4"), /no etcd\/pause versions known for 1\.30 .*add a row to COMPONENT_VERSIONS/);
        assert.throws(() => defaultImages("1.99.0"), /1\.99/);
        assert.throws(() => defaultImages("v1.34.2"), /not a release like "1\.34\.2"/);
    });
});

describe("kubeconfig", () => {
    it("embeds PEM data base64-encoded for the admin, and refuses a non-https server", () => {
        const text = renderAdminKubeconfig({
            server: "https://[2001:db8:a:1::2]:6443",
            caPem: "CA PEM\n",
            certPem: "CERT PEM\n",
            keyPem: "KEY PEM\n",
        });
        const k = parse(text);
        const decode = (s: string) => Buffer.from(s, "base64").toString("utf8");
        assert.equal(new URL(k.clusters[0].cluster.server).hostname, "[2001:db8:a:1::2]");
        assert.equal(decode(k.clusters[0].cluster["certificate-authority-data"]), "CA PEM\n");
        assert.equal(decode(k.users[0].user["client-certificate-data"]), "CERT PEM\n");
        assert.equal(decode(k.users[0].user["client-key-data"]), "KEY PEM\n");
        assert.equal(k["current-context"], k.contexts[0].name);
        assert.throws(
            () =>
                renderKubeconfig({ server: "http://[::1]:7445", ca: { caFile: "/x" }, user: "u", credentials: { cert: "/c", key: "/k" } }),
            /not https/,
        );
        assert.throws(() =>
            renderKubeconfig({ server: "https://fd8a::1:6443", ca: { caFile: "/x" }, user: "u", credentials: { cert: "/c", key: "/k" } }),
        );
    });
});

describe("containerd config", () => {
    it("is TOML that sets the sandbox image, systemd cgroups for runc and Debian's CNI directories", function () {
        const py = spawnSync("python3", ["-c", "import json, sys, tomllib; print(json.dumps(tomllib.loads(sys.stdin.read())))"], {
            input: renderContainerdConfig(f.cluster.images),
            encoding: "utf8",
        });
        if (py.error || (py.status !== 0 && /tomllib/.test(py.stderr))) this.skip(); // no python3 >= 3.11 here
        assert.equal(py.status, 0, py.stderr);
        const toml = JSON.parse(py.stdout);
        assert.equal(toml.version, 3);
        const cri = toml.plugins;
        assert.equal(cri["io.containerd.cri.v1.images"].pinned_images.sandbox, f.cluster.images.pause);
        const runc = cri["io.containerd.cri.v1.runtime"].containerd.runtimes.runc;
        assert.equal(runc.runtime_type, "io.containerd.runc.v2");
        assert.equal(runc.options.SystemdCgroup, true);
        assert.deepEqual(cri["io.containerd.cri.v1.runtime"].cni, { bin_dirs: [CNI_BIN_DIR], conf_dir: CNI_CONF_DIR });
        assert.equal(CNI_BIN_DIR, "/usr/lib/cni");
        assert.equal(CNI_CONF_DIR, "/etc/cni/net.d");
    });
});

describe("haproxy.cfg, checked by HAProxy itself when it is installed", () => {
    it("haproxy -c accepts it", function () {
        if (spawnSync("haproxy", ["-v"]).error) this.skip(); // not installed here (Debian: apt-get install haproxy)
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "v6k8s-haproxy-"));
        const file = path.join(dir, "haproxy.cfg");
        fs.writeFileSync(file, renderApiserverProxyConfig(f.cluster));
        const r = spawnSync("haproxy", ["-c", "-f", file], { encoding: "utf8" });
        fs.rmSync(dir, { recursive: true });
        assert.equal(r.status, 0, r.stdout + r.stderr);
        assert.doesNotMatch(r.stdout + r.stderr, /WARNING|ALERT/);
    });
});
