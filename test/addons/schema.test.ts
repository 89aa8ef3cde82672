// The rendered objects decoded strictly into the Go types of the target release (k8s.io/api,
// k8s.io/kube-proxy, k8s.io/kubelet, k8s.io/apiserver, client-go's kubeconfig at v0.34.2, see
// schemacheck/go.mod): catches what the OpenAPI validator lets through (unknown fields) and checks
// the component configs that have no OpenAPI schema at all (KubeProxyConfiguration, kubeconfig,
// KubeletConfiguration, EncryptionConfiguration, the audit Policy). The externalIPs policy's CEL
// runs in the apiserver's own CEL environment. Needs Go; the binary is cached.
import { strict as assert } from "assert";
import { execFileSync, spawnSync } from "child_process";
import { createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse } from "yaml";
import { clusterServiceInputs, clusterServiceObjects } from "../../components/addons/render/clusterObjects";
import { kubeProxyConfiguration, kubeProxyKubeconfig } from "../../components/addons/render/kubeProxy";
import { publicServiceObject, publicWorkloadObject } from "../../components/addons/render/publicService";
import { externalIpPolicy, externalIpPolicyObjects } from "../../components/addons/render/externalIps";
import { auditPolicy } from "../../components/controlplane/render/audit";
import { encryptionConfiguration } from "../../components/controlplane/render/encryption";
import { kubeletConfiguration } from "../../components/controlplane/render/kubelet";
import { fixture } from "../controlplane/fixture";
import { planStack } from "../../components/config/stackPlan";
import { prodConfig } from "./support";

const SOURCE = path.join(__dirname, "schemacheck");
const CACHE = process.env.V6K8S_GO_CACHE ?? path.join(os.homedir(), ".cache", "v6k8s");

function goAvailable(): boolean {
    return spawnSync("go", ["version"], { encoding: "utf8" }).status === 0;
}

/** Builds schemacheck once per source version into the cache; returns the binary. */
function build(): string {
    const hash = createHash("sha256");
    for (const f of ["go.mod", "go.sum", "main.go"]) hash.update(fs.readFileSync(path.join(SOURCE, f)));
    const bin = path.join(CACHE, `schemacheck-${hash.digest("hex").slice(0, 16)}`, "schemacheck");
    if (!fs.existsSync(bin)) {
        execFileSync("go", ["build", "-o", bin, "."], {
            cwd: SOURCE,
            stdio: ["ignore", "inherit", "inherit"],
            env: {
                ...process.env,
                GOFLAGS: "-mod=mod",
                GOTOOLCHAIN: "local",
                CGO_ENABLED: "0",
                GOMODCACHE: path.join(CACHE, "gomodcache"),
                GOCACHE: path.join(CACHE, "gocache"),
            },
        });
    }
    return bin;
}

function check(bin: string, docs: readonly unknown[]): { code: number; lines: string[] } {
    const r = spawnSync(bin, [], { input: JSON.stringify(docs), encoding: "utf8" });
    return { code: r.status ?? -1, lines: r.stdout.trim().split("\n") };
}

/** The expression's value for each object ("true", "false", "error ..."); throws if it does not compile. */
function cel(bin: string, expression: string, objects: readonly unknown[]): string[] {
    const r = spawnSync(bin, ["cel"], { input: JSON.stringify({ expression, objects }), encoding: "utf8" });
    if (r.status !== 0) throw new Error(`schemacheck cel: ${r.stderr}`);
    return r.stdout.trim().split("\n");
}

describe("cluster services: strict decoding into the target release's Go types (schemacheck)", function () {
    this.timeout(15 * 60_000);
    let bin: string;
    before(function () {
        if (!goAvailable()) {
            if (process.env.V6K8S_REQUIRE_GO === "1") throw new Error("schemacheck needs Go (go not on PATH)");
            console.warn("\n  !!! SKIPPED schemacheck: no Go toolchain on PATH (the OpenAPI validation still ran) !!!\n");
            this.skip();
        }
        bin = build();
    });

    const config = prodConfig();
    const cp = fixture();
    const o = clusterServiceObjects(clusterServiceInputs(config, planStack(config)));
    const hello = config.services[0];
    const docs = [
        ...o.namespaces,
        ...o.kubeProxy,
        ...o.coredns,
        publicWorkloadObject(hello, hello.workload!),
        publicServiceObject(hello, ["2001:db8:10a:1f2e::2"]),
        ...externalIpPolicyObjects(["2001:db8:10a:1f2e::2", "2001:db8:c10d:2::1"]),
        kubeProxyConfiguration({ nodePortAddresses: ["fd8a:31c2:7c1f:1::/64"] }),
        kubeProxyKubeconfig(7445),
        // Host files of the control plane: a tainted control-plane kubelet, encryption, audit.
        kubeletConfiguration(cp.cluster, cp.node("cp1")),
        encryptionConfiguration([Buffer.alloc(32, "a").toString("base64"), Buffer.alloc(32, "b").toString("base64")]),
        auditPolicy(),
    ];

    it("every object, the KubeProxyConfiguration and kube-proxy's kubeconfig decode strictly", () => {
        // The ConfigMap's embedded files are the same objects: decode those too.
        const cm = o.kubeProxy.find((x) => x.kind === "ConfigMap") as { data: Record<string, string> };
        const r = check(bin, [...docs, parse(cm.data["config.conf"]), parse(cm.data["kubeconfig.conf"])]);
        assert.equal(r.code, 0, r.lines.filter((l) => l.startsWith("error")).join("\n"));
        assert.equal(r.lines.length, docs.length + 2);
    });

    it("the externalIPs policy, in the apiserver's CEL: no externalIPs or only hosts' addresses pass, an update may keep an address it had; anything else fails", () => {
        const expression = externalIpPolicy(["2001:db8:10a:1f2e::2", "2001:db8:c10d:2::1"]).spec!.validations![0].expression;
        const svc = (externalIPs?: string[]) => ({
            apiVersion: "v1",
            kind: "Service",
            metadata: { name: "x" },
            spec: { ports: [{ port: 53 }], ...(externalIPs && { externalIPs }) },
        });
        assert.deepEqual(
            cel(bin, expression, [
                svc(),
                svc([]),
                svc(["2001:db8:10a:1f2e::2"]),
                svc(["2001:db8:c10d:2::1", "2001:db8:10a:1f2e::2"]),
                svc(["2a01:4ff:ff00::add:1"]),
                svc(["2001:db8:10a:1f2e::2", "2a01:4ff:ff00::add:1"]),
                svc(["2001:DB8:10A:1F2E::2"]),
                svc(["2001:db8:10a:1f2e:0:0:0:2"]),
                svc(["203.0.113.10"]),
                // Updates: a Service may keep an address it had (a host leaving: the policy drops it first) ...
                { object: svc(["2001:db8:10a:1f2e::2", "2001:db8:ff::2"]), oldObject: svc(["2001:db8:ff::2"]) },
                { object: svc(["2001:db8:10a:1f2e::2"]), oldObject: svc(["2001:db8:ff::2"]) },
                // ... but never add one that is not allowed, nor keep one it did not have.
                { object: svc(["2001:db8:ff::2", "2a01:4ff:ff00::add:1"]), oldObject: svc(["2001:db8:ff::2"]) },
                { object: svc(["2a01:4ff:ff00::add:1"]), oldObject: svc() },
            ]),
            ["true", "true", "true", "true", "false", "false", "false", "false", "false", "true", "true", "false", "false"],
        );
    });

    it("the externalIPs policy's ports rule, in the apiserver's CEL: a Service with externalIPs takes none of the hosts' own ports", () => {
        const policy = externalIpPolicy(["2001:db8:10a:1f2e::2"], [{ port: 25, protocol: "TCP" }]);
        const expression = policy.spec!.validations![1].expression;
        const host = ["2001:db8:10a:1f2e::2"];
        const svc = (ports: object[] | undefined, externalIPs?: string[]) => ({
            apiVersion: "v1",
            kind: "Service",
            metadata: { name: "x" },
            spec: { ...(ports && { ports }), ...(externalIPs && { externalIPs }) },
        });
        assert.deepEqual(
            cel(bin, expression, [
                svc([{ port: 22, protocol: "TCP" }]),
                svc([{ port: 22, protocol: "TCP" }], []),
                svc([{ port: 80, protocol: "TCP" }], host),
                svc([{ port: 22, protocol: "UDP" }], host),
                svc(undefined, host),
                svc([{ port: 22, protocol: "TCP" }], host),
                svc(
                    [
                        { port: 80, protocol: "TCP" },
                        { port: 51820, protocol: "UDP" },
                    ],
                    host,
                ),
                svc([{ port: 6443 }], host),
                svc([{ port: 2379, protocol: "TCP" }], host),
                svc([{ port: 10250, protocol: "TCP" }], host),
                svc([{ port: 7445, protocol: "TCP" }], host),
                svc([{ port: 25, protocol: "TCP" }], host),
            ]),
            ["true", "true", "true", "true", "true", "false", "false", "false", "false", "false", "false", "false"],
        );
    });

    it("the externalIPs policy's namespaces rule, in the apiserver's CEL: externalIPs only in a named namespace, or an update adding none", () => {
        const expression = externalIpPolicy(["2001:db8:10a:1f2e::2"], [], ["web", "edge"]).spec!.validations![2].expression;
        const host = "2001:db8:10a:1f2e::2";
        const svc = (namespace: string, externalIPs?: string[]) => ({
            apiVersion: "v1",
            kind: "Service",
            metadata: { name: "x", namespace },
            spec: { ports: [{ port: 80 }], ...(externalIPs && { externalIPs }) },
        });
        assert.deepEqual(
            cel(bin, expression, [
                svc("tenant"),
                svc("tenant", []),
                svc("web", [host]),
                svc("edge", [host]),
                svc("tenant", [host]),
                svc("default", [host]),
                // An update in a namespace no longer named may keep its addresses, never add one.
                { object: svc("tenant", [host]), oldObject: svc("tenant", [host]) },
                { object: svc("tenant", [host, "2001:db8:ff::2"]), oldObject: svc("tenant", [host]) },
                { object: svc("tenant", [host]), oldObject: svc("tenant") },
            ]),
            ["true", "true", "true", "true", "false", "false", "true", "false", "false"],
        );
        // No namespace named: none may.
        const none = externalIpPolicy([host]).spec!.validations![2].expression;
        assert.deepEqual(cel(bin, none, [svc("web", [host]), svc("web")]), ["false", "true"]);
    });

    it("rejects an unknown field, a misspelt component-config key and a kubeconfig without its user", () => {
        const svc = structuredClone(o.coredns.find((x) => x.kind === "Service")) as unknown as { spec: Record<string, unknown> };
        svc.spec.clusterIp = svc.spec.clusterIP;
        const conf: Record<string, unknown> = {
            ...kubeProxyConfiguration({ nodePortAddresses: ["fd8a:31c2:7c1f:1::/64"] }),
            detectLocalMod: "BridgeInterface",
        };
        const kc = structuredClone(kubeProxyKubeconfig(7445)) as { users: unknown[] };
        kc.users = [];
        const vap = structuredClone(externalIpPolicyObjects(["2001:db8::2"])[0]) as unknown as {
            spec: { validations: Record<string, unknown>[] };
        };
        vap.spec.validations[0].messageExpresion = "'x'";
        const r = check(bin, [svc, conf, kc, vap]);
        assert.equal(r.code, 1);
        assert.match(
            r.lines[3],
            /^error 3 admissionregistration\.k8s\.io\/v1\/ValidatingAdmissionPolicy: .*unknown field "spec\.validations\[0\]\.messageExpresion"/,
        );
        assert.match(r.lines[0], /^error 0 v1\/Service: .*unknown field "spec\.clusterIp"/);
        assert.match(r.lines[1], /^error 1 .*unknown field "detectLocalMod"/);
        assert.match(r.lines[2], /^error 2 kubeconfig: .*user "default"/);
    });
});
