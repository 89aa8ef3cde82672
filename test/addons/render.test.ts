import { strict as assert } from "assert";
import { parse } from "yaml";
import { clusterServiceInputs, clusterServiceObjects } from "../../components/addons/render/clusterObjects";
import { KNOWN_TYPES } from "../../components/addons/kinds";
import { corefileOf } from "../../components/addons/render/coredns";
import { addonImages } from "../../components/addons/render/defaults";
import { serviceRecords } from "../../components/addons/render/dnsRecords";
import { kubeProxyConfiguration, kubeProxyKubeconfig } from "../../components/addons/render/kubeProxy";
import { KubernetesObject, objectId, renderManifests, typeKey } from "../../components/addons/render/objects";
import { publicServiceObject, publicWorkloadObject } from "../../components/addons/render/publicService";
import { withServer } from "../../components/addons/render/providerKubeconfig";
import { CONTROL_PLANE_TAINT } from "../../components/controlplane/render/nodeRoles";
import { dns64PrefixOf } from "../../components/dns/render/corefile";
import { allowedExternalIps, externalIpPolicy, externalIpPolicyObjects } from "../../components/addons/render/externalIps";
import { formatV6 } from "../../components/network/prefix";
import { planStack } from "../../components/config/stackPlan";
import { expectGolden } from "../support/golden";
import { config, prodConfig, twoGateways, validateObject } from "./support";

const prod = prodConfig();
const prodPlan = planStack(prod);
const objects = clusterServiceObjects(clusterServiceInputs(prod, prodPlan));
const hello = prod.services[0];
const cm = () => find(objects.kubeProxy, "ConfigMap");
// The example's public hosts are dedicated, so their addresses are known offline.
const helloObjects: KubernetesObject[] = [
    publicWorkloadObject(hello, hello.workload!),
    publicServiceObject(hello, ["2001:db8:10a:1f2e::2", "2001:db8:20a:5d00::2"]),
];
// Every host's public address: the dedicated ones from the file, the hcloud ones as hcloud would assign them.
const HCLOUD_ADDRESSES = ["2001:db8:c10d:2::1", "2001:db8:c10d:3::1"];
const hostAddresses = [...prod.nodes.flatMap((n) => (n.kind === "dedicated" ? [formatV6(n.publicAddress)] : [])), ...HCLOUD_ADDRESSES];
// As ClusterServices builds it: every host's address, the nodes' ipv4Ports, the services' namespaces.
const policyObjects = externalIpPolicyObjects(
    hostAddresses,
    prod.nodes.flatMap((n) => n.ipv4Ports),
    objects.externalIpNamespaces,
);
const all: KubernetesObject[] = [...objects.namespaces, ...objects.kubeProxy, ...objects.coredns, ...helloObjects, ...policyObjects];
const find = <K extends KubernetesObject["kind"]>(list: readonly KubernetesObject[], kind: K) =>
    list.find((o) => o.kind === kind) as Extract<KubernetesObject, { kind: K }>;

describe("cluster services: rendered objects (golden)", () => {
    it("kube-proxy, CoreDNS and the example service of Pulumi.prod.yaml match the golden files", () => {
        expectGolden("addons/kube-proxy.yaml", renderManifests("kube-proxy (Pulumi.prod.yaml)", objects.kubeProxy));
        expectGolden("addons/coredns.yaml", renderManifests("CoreDNS (Pulumi.prod.yaml)", objects.coredns));
        expectGolden(
            "addons/public-service-hello.yaml",
            renderManifests("the example public service (Pulumi.prod.yaml)", [...objects.namespaces, ...helloObjects]),
        );
        expectGolden("addons/Corefile", find(objects.coredns, "ConfigMap").data!.Corefile);
        expectGolden(
            "addons/external-ips-policy.yaml",
            renderManifests("the externalIPs admission policy (Pulumi.prod.yaml, hcloud addresses made up)", policyObjects),
        );
    });

    it("every object has a unique Pulumi name and a class in the kind table", () => {
        const ids = all.map(objectId);
        assert.equal(new Set(ids).size, ids.length);
        for (const o of all) {
            assert.ok(KNOWN_TYPES.includes(typeKey(o)), `${typeKey(o)} is not in components/addons/kinds.ts`);
            assert.doesNotMatch(objectId(o), /:/);
        }
    });
});

describe("cluster services: OpenAPI validation (kubernetes-models)", () => {
    const variants = {
        prod: all,
        "two gateways, preferred spread, 3 replicas": (() => {
            const raw = twoGateways();
            raw.cluster.coredns = { replicas: 3, spread: "preferred" };
            const c = config(raw);
            const o = clusterServiceObjects(clusterServiceInputs(c, planStack(c)));
            const web = c.services[0];
            return [
                ...o.namespaces,
                ...o.kubeProxy,
                ...o.coredns,
                publicServiceObject(web, ["2001:db8:a:3::2"]),
                ...externalIpPolicyObjects(["2001:db8:a:3::2"]),
            ];
        })(),
        "no IPv4 anywhere (no dns64)": (() => {
            const raw = twoGateways();
            raw.nodes = raw.nodes.map((n) => ({ ...n, ipv4: n.kind === "hcloud" ? false : undefined, ipv4Ports: [] }));
            const c = config(raw);
            return clusterServiceObjects(clusterServiceInputs(c, planStack(c))).coredns;
        })(),
    };
    for (const [title, list] of Object.entries(variants)) {
        it(`every object validates: ${title}`, async () => {
            for (const o of list) {
                await validateObject(o).catch((e: Error) => assert.fail(`${objectId(o)}: ${e.message}`));
            }
        });
    }

    it("rejects deliberately broken objects (so a pass means something)", async () => {
        const ds = structuredClone(find(objects.kubeProxy, "DaemonSet"));
        delete (ds.spec!.template.spec!.containers[0] as { name?: string }).name;
        await assert.rejects(validateObject(ds), /must have required property name/);
        const svc = structuredClone(find(objects.coredns, "Service")) as unknown as { spec: { ipFamilyPolicy: string } };
        svc.spec.ipFamilyPolicy = "IPv6Only";
        await assert.rejects(validateObject(svc as unknown as KubernetesObject), /ipFamilyPolicy/);
        const dep = structuredClone(find(objects.coredns, "Deployment")) as unknown as { spec: { replicas: unknown } };
        dep.spec.replicas = "two";
        await assert.rejects(validateObject(dep as unknown as KubernetesObject), /replicas must be integer/);
        const binding = structuredClone(policyObjects[1]) as unknown as { spec: { validationActions: unknown } };
        binding.spec.validationActions = "Deny";
        await assert.rejects(validateObject(binding as unknown as KubernetesObject), /validationActions must be array/);
    });
});

describe("kube-proxy NodePorts", () => {
    it("answer only on the cluster ULA by default; everywhere once one is public (the host firewall then picks)", () => {
        const conf = parse(cm().data!["config.conf"]);
        assert.deepEqual(conf.nodePortAddresses, [prod.cluster.ulaPrefix.toString()]);
        const open = {
            ...prod,
            cluster: {
                ...prod.cluster,
                kubeProxy: { ...prod.cluster.kubeProxy, publicNodePorts: [{ port: 30080, protocol: "TCP" as const }] },
            },
        };
        const openConf = parse(
            find(clusterServiceObjects(clusterServiceInputs(open, prodPlan)).kubeProxy, "ConfigMap").data!["config.conf"],
        );
        assert.deepEqual(openConf.nodePortAddresses, ["::/0"]);
    });
});

describe("kube-proxy", () => {
    const ds = find(objects.kubeProxy, "DaemonSet");
    const cm = find(objects.kubeProxy, "ConfigMap");
    const pod = ds.spec!.template.spec!;

    it("is IPv6-only, detects local traffic by the cluster0 bridge, and has no cluster CIDR", () => {
        const conf = parse(cm.data!["config.conf"]);
        assert.deepEqual(conf, kubeProxyConfiguration({ nodePortAddresses: [prod.cluster.ulaPrefix.toString()] }));
        assert.equal(conf.bindAddress, "::");
        assert.equal(conf.detectLocalMode, "BridgeInterface");
        assert.deepEqual(conf.detectLocal, { bridgeInterface: "cluster0" });
        assert.ok(!("clusterCIDR" in conf));
        assert.equal(conf.healthzBindAddress, "[::]:10256");
        assert.equal(conf.metricsBindAddress, "[::1]:10249");
    });

    it("talks to the node-local apiserver proxy with its ServiceAccount token and the CA of the token volume", () => {
        const kc = parse(cm.data!["kubeconfig.conf"]);
        assert.deepEqual(kc, kubeProxyKubeconfig(7445));
        assert.equal(kc.clusters[0].cluster.server, "https://[::1]:7445");
        assert.equal(kc.clusters[0].cluster["certificate-authority"], "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt");
        assert.equal(kc.users[0].user.tokenFile, "/var/run/secrets/kubernetes.io/serviceaccount/token");
    });

    it("runs on every node: host network, every taint tolerated, system-node-critical, the release's image", () => {
        assert.equal(pod.hostNetwork, true);
        assert.deepEqual(pod.tolerations, [{ operator: "Exists" }]);
        assert.equal(pod.priorityClassName, "system-node-critical");
        assert.equal(pod.containers[0].image, "registry.k8s.io/kube-proxy:v1.34.2");
        assert.ok(pod.containers[0].command!.includes("--hostname-override=$(NODE_NAME)"));
        const binding = find(objects.kubeProxy, "ClusterRoleBinding");
        assert.equal(binding.roleRef.name, "system:node-proxier");
        assert.deepEqual(binding.subjects, [{ kind: "ServiceAccount", name: "kube-proxy", namespace: "kube-system" }]);
    });

    it("rolls out again when its configuration changes (it reads it only at start)", () => {
        const raw = twoGateways();
        const a = clusterServiceObjects(clusterServiceInputs(config(raw), planStack(config(raw)))).kubeProxy;
        raw.cluster.kubernetesVersion = "1.35.0";
        const b = clusterServiceObjects(clusterServiceInputs(config(raw), planStack(config(raw)))).kubeProxy;
        const hash = (l: KubernetesObject[]) => find(l, "DaemonSet").spec!.template.metadata!.annotations!["v6k8s.io/config-sha256"];
        assert.match(hash(a), /^[0-9a-f]{64}$/);
        assert.equal(hash(a), hash(b), "a new image alone does not change the config hash");
        assert.equal(find(b, "DaemonSet").spec!.template.spec!.containers[0].image, "registry.k8s.io/kube-proxy:v1.35.0");
    });
});

describe("CoreDNS", () => {
    const svc = find(objects.coredns, "Service");
    const dep = find(objects.coredns, "Deployment");

    it("sits at the plan's fixed DNS address, IPv6 single-stack", () => {
        assert.equal(svc.spec!.clusterIP, "fd8a:31c2:7c1f:1::a");
        assert.deepEqual(svc.spec!.clusterIPs, ["fd8a:31c2:7c1f:1::a"]);
        assert.deepEqual(svc.spec!.ipFamilies, ["IPv6"]);
        assert.equal(svc.spec!.ipFamilyPolicy, "SingleStack");
    });

    it("tolerates the control-plane taint the kubelets register with (and CriticalAddonsOnly)", () => {
        const tolerations = dep.spec!.template.spec!.tolerations!;
        assert.ok(
            tolerations.some(
                (t) =>
                    t.key === CONTROL_PLANE_TAINT.key &&
                    t.effect === CONTROL_PLANE_TAINT.effect &&
                    (t.operator ?? "Equal") === "Equal" &&
                    !t.value,
            ),
        );
        assert.ok(tolerations.some((t) => t.key === "CriticalAddonsOnly" && t.operator === "Exists"));
    });

    it("runs 2 replicas by default, spread over node hostnames, with a PDB", () => {
        assert.equal(dep.spec!.replicas, 2);
        const spread = dep.spec!.template.spec!.topologySpreadConstraints![0];
        assert.equal(spread.topologyKey, "kubernetes.io/hostname");
        assert.equal(spread.whenUnsatisfiable, "DoNotSchedule");
        assert.equal(spread.nodeTaintsPolicy, "Honor");
        assert.equal(find(objects.coredns, "PodDisruptionBudget").spec!.maxUnavailable, 1);
        assert.equal(dep.spec!.template.spec!.containers[0].image, addonImages("1.34.2").coredns);
        assert.equal(addonImages("1.34.2").coredns, "registry.k8s.io/coredns/coredns:v1.12.1");
    });

    it("dns64 uses the NAT64 /96 of the IPv4 host with the lowest index, forwards to the configured resolvers, never translate_all", () => {
        const c = config(twoGateways());
        const corefile = find(clusterServiceObjects(clusterServiceInputs(c, planStack(c))).coredns, "ConfigMap").data!.Corefile;
        assert.match(corefile, /dns64 \{\n {8}prefix fd8a:31c2:7c1f:1:3:64::\/96\n/);
        assert.equal(dns64PrefixOf(planStack(c))?.toString(), "fd8a:31c2:7c1f:1:3:64::/96", "the same choice as components/dns");
        assert.match(corefile, /forward \. 2a01:4ff:ff00::add:1 2a01:4ff:ff00::add:2 \{/);
        assert.doesNotMatch(corefile, /resolv\.conf|translate_all/);
    });

    it("cluster.dns64Gateway picks another gateway; no IPv4 host means no dns64", () => {
        const raw = twoGateways();
        raw.cluster.dns64Gateway = "gw7";
        raw.cluster.upstreamDns = ["2001:db8:53::1"];
        const c = config(raw);
        const o = clusterServiceObjects(clusterServiceInputs(c, planStack(c)));
        assert.equal(o.dns64Gateway?.name, "gw7");
        assert.match(find(o.coredns, "ConfigMap").data!.Corefile, /prefix fd8a:31c2:7c1f:1:7:64::\/96[\s\S]*forward \. 2001:db8:53::1 \{/);
        raw.nodes = raw.nodes.map((n) => ({ ...n, ipv4: n.kind === "hcloud" ? false : undefined, ipv4Ports: [] }));
        delete raw.cluster.dns64Gateway;
        const v6only = config(raw);
        const none = clusterServiceObjects(clusterServiceInputs(v6only, planStack(v6only)));
        assert.equal(none.dns64Gateway, null);
        assert.doesNotMatch(find(none.coredns, "ConfigMap").data!.Corefile, /dns64/);
    });

    it("the renderer refuses an upstream that is not an IPv6 address", () => {
        assert.throws(
            () =>
                corefileOf({
                    image: "x",
                    serviceAddress: "fd00::a",
                    clusterDomain: "cluster.local",
                    dns64Prefix: null,
                    upstreams: ["/etc/resolv.conf"],
                    replicas: 1,
                    spread: "required",
                }),
            /not an IPv6 address/,
        );
    });
});

describe("public services", () => {
    const svc = helloObjects[1] as Extract<KubernetesObject, { kind: "Service" }>;

    it("a ClusterIP service with the public hosts' IPv6 addresses as externalIPs", () => {
        assert.equal(svc.spec!.type, "ClusterIP");
        assert.deepEqual(svc.spec!.externalIPs, ["2001:db8:10a:1f2e::2", "2001:db8:20a:5d00::2"]);
        assert.deepEqual(svc.spec!.ports, [{ name: "http", port: 80, targetPort: 8080, protocol: "TCP" }]);
        assert.deepEqual(svc.spec!.selector, { "app.kubernetes.io/name": "hello" });
        assert.equal(svc.metadata!.namespace, "hello");
    });

    it("records: AAAA per public host, A per public host with IPv4, zone lines for the DNS name (golden)", () => {
        const records = serviceRecords("hello/hello", "hello.example.org", [
            { name: "cp1", ipv6: "2001:db8:10a:1f2e::2", ipv4: "203.0.113.10" },
            { name: "w1", ipv6: "2001:db8:20a:5d00::2", ipv4: null },
        ]);
        assert.deepEqual(
            records.records.map((r) => `${r.type} ${r.host}`),
            ["AAAA cp1", "AAAA w1", "A cp1"],
        );
        expectGolden("addons/dns-records-hello.zone", `${records.zone.join("\n")}\n`);
        assert.deepEqual(serviceRecords("a/b", null, [{ name: "x", ipv6: "2001:db8::2", ipv4: null }]).zone, []);
    });

    it("refuses a service without hosts", () => {
        assert.throws(() => publicServiceObject(hello, []), /no public host/);
    });
});

describe("the externalIPs admission policy (CVE-2020-8554)", () => {
    const [policy, binding] = policyObjects;

    it("admits a Service only if each externalIP is one of the hosts' public addresses (RFC 5952, sorted, once each)", () => {
        const allowed = [
            "2001:db8:10a:1f2e::2",
            "2001:db8:10b:2c41::2",
            "2001:db8:10c:93a0::2",
            "2001:db8:20a:5d00::2",
            ...HCLOUD_ADDRESSES,
        ].sort();
        assert.deepEqual(allowedExternalIps(hostAddresses), allowed);
        assert.deepEqual(allowedExternalIps(["2001:DB8:0:0::2", "2001:db8::2", "2001:db8::1"]), ["2001:db8::1", "2001:db8::2"]);
        const v = policy.spec!.validations![0];
        assert.equal(
            v.expression,
            `!has(object.spec.externalIPs) || object.spec.externalIPs.all(ip, ip in [${allowed.map((a) => `'${a}'`).join(", ")}] || ` +
                "(oldObject != null && has(oldObject.spec.externalIPs) && ip in oldObject.spec.externalIPs))",
        );
        assert.equal(v.reason, "Forbidden");
        assert.match(v.message!, /only list the cluster hosts' public IPv6 addresses/);
        // Every address a public service uses is in the list.
        for (const ip of find(helloObjects, "Service").spec!.externalIPs!) assert.ok(allowed.includes(ip), ip);
        // Refuses on errors, on create and update of Services in the core group, in every namespace.
        assert.equal(policy.spec!.failurePolicy, "Fail");
        assert.deepEqual(policy.spec!.matchConstraints!.resourceRules, [
            { apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE", "UPDATE"], resources: ["services"] },
        ]);
        assert.deepEqual(binding.spec, { policyName: policy.metadata!.name, validationActions: ["Deny"] });
        assert.throws(() => externalIpPolicy([]), /no host address/);
        assert.throws(() => externalIpPolicy(["203.0.113.10"]), /not an IPv6 address/);
        // Only parsed addresses reach the CEL text: nothing can close the string literal.
        const injection = "2001:db8::2']) || true || (['";
        assert.throws(() => externalIpPolicy([injection]), /not an IPv6 address/);
    });

    it("no part of the program enables DenyServiceExternalIPs instead (public services are externalIPs)", () => {
        assert.doesNotMatch(JSON.stringify(all), /DenyServiceExternalIPs/);
    });
});

describe("the provider's kubeconfig", () => {
    const admin =
        "apiVersion: v1\nkind: Config\nclusters:\n  - name: v6k8s\n    cluster:\n      server: https://[2001:db8::2]:6443\n      certificate-authority-data: Q0E=\n";
    it("is the admin kubeconfig, with another server only when kubernetesProviderServer is set", () => {
        assert.equal(withServer(admin, undefined), admin);
        assert.equal(parse(withServer(admin, "https://127.0.0.1:16443")).clusters[0].cluster.server, "https://127.0.0.1:16443");
        assert.equal(parse(withServer(admin, "https://127.0.0.1:16443")).clusters[0].cluster["certificate-authority-data"], "Q0E=");
        assert.throws(() => withServer(admin, "http://127.0.0.1:8080"), /not https/);
    });
});
