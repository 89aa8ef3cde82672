import { strict as assert } from "assert";
import { parse } from "yaml";
import { decodeInstalledFiles } from "../support/decodeFiles";
import { RawConfig, dedicated } from "../support/fixtures";
import { RecordedResource, resolve } from "../support/pulumiMocks";
import { upstream } from "../support/graph";
import { sharedRun } from "../support/sharedRuns";
import * as fs from "fs";
import { projectKeys } from "../../components/config/stackFile";
import { PROD_FILE, prodConfig as prodStackConfig, twoGateways } from "../addons/support";
import { isSecret, resourceNamed as get, unwrapSecret as unwrap } from "../support/recorded";

const PROVIDER = "addons-provider";
const POLICY = "addons-validatingadmissionpolicy-v6k8s-external-ips";
const BINDING = "addons-validatingadmissionpolicybinding-v6k8s-external-ips";
const IN_FORCE = "addons-external-ips-in-force";

function prodRaw(): Record<string, unknown> {
    return projectKeys(parse(fs.readFileSync(PROD_FILE, "utf8")).config, "v6k8s");
}

const kubernetesObjects = (rs: RecordedResource[]) => rs.filter((r) => r.type.startsWith("kubernetes:"));

describe("cluster services under Pulumi mocks", function () {
    // Each run declares the whole program; on a loaded machine two runs in one test exceed the default.
    this.timeout(180_000);
    for (const preview of [false, true]) {
        describe(preview ? "preview" : "update", () => {
            let prod: RecordedResource[];
            let outputs: Record<string, unknown>;
            before(async () => {
                // runProgram fails on any provider call (data source) and on any failure inside an apply.
                ({ resources: prod, outputs } = await sharedRun(prodRaw(), { preview }));
            });

            it("the Kubernetes provider is built from the admin kubeconfig (secret) after the control plane and every kubelet", () => {
                const provider = get(prod, PROVIDER);
                assert.equal(provider.type, "pulumi:providers:kubernetes");
                for (const n of [
                    "control-plane-ready",
                    "cp1-uncordon",
                    "cp2-uncordon",
                    "cp3-uncordon",
                    "w1-uncordon",
                    "w2-uncordon",
                    "w3-uncordon",
                ]) {
                    assert.ok(provider.dependsOn.includes(`k8s-${n}`), `provider waits for k8s-${n}`);
                }
                if (!preview) {
                    assert.ok(isSecret(provider.inputs.kubeconfig), "the kubeconfig input stays secret");
                    assert.match(unwrap<string>(provider.inputs.kubeconfig), /server: https:\/\/\[2001:db8:10a:1f2e::2\]:6443/);
                }
                assert.equal(provider.inputs.clusterIdentifier, "v6k8s");
                assert.equal(provider.inputs.enableConfigMapMutable, "true");
            });

            it("every Kubernetes object uses that provider, so everything Kubernetes waits for the kubelets", () => {
                const objects = kubernetesObjects(prod);
                assert.deepEqual(
                    objects
                        .map((o) => o.type.split(":")[1])
                        .filter((t, i, a) => a.indexOf(t) === i)
                        .sort(),
                    ["admissionregistration.k8s.io/v1", "apps/v1", "core/v1", "policy/v1", "rbac.authorization.k8s.io/v1"],
                );
                assert.ok(objects.length >= 14, `${objects.length} objects`);
                // The engine creates a resource only after its provider: through the provider, every
                // object waits for the control plane and the kubelets.
                for (const o of objects) assert.equal(o.provider, PROVIDER, `${o.name} uses ${o.provider}`);
            });

            it("the externalIPs policy lists every host's public address, is bound to deny, and public services wait for it", async () => {
                const policy = get(prod, POLICY);
                assert.equal(policy.type, "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy");
                assert.equal(policy.provider, PROVIDER);
                const binding = get(prod, BINDING);
                assert.ok(binding.dependsOn.includes(POLICY));
                assert.deepEqual((binding.inputs.spec as { validationActions: string[] }).validationActions, ["Deny"]);
                // Public services wait until every apiserver enforces the policy (not just until it is written).
                const inForce = get(prod, IN_FORCE);
                assert.ok(inForce.dependsOn.includes(BINDING) && inForce.dependsOn.includes(POLICY), inForce.dependsOn.join(", "));
                assert.ok(get(prod, "svc-hello-hello-service").dependsOn.includes(IN_FORCE));
                assert.equal(
                    (unwrap(inForce.inputs.connection) as { host: string }).host,
                    "2001:db8:10a:1f2e::2",
                    "on the first control-plane node",
                );
                if (preview) return;
                const expression = (policy.inputs.spec as { validations: { expression: string }[] }).validations[0].expression;
                const listed = [...expression.matchAll(/'([0-9a-f:]+)'/g)].map((m) => m[1]);
                // Four dedicated hosts from the file, two hcloud servers as the mock assigns them.
                assert.equal(listed.length, 6);
                for (const a of ["2001:db8:10a:1f2e::2", "2001:db8:10b:2c41::2", "2001:db8:10c:93a0::2", "2001:db8:20a:5d00::2"])
                    assert.ok(listed.includes(a), a);
                assert.equal(listed.filter((a) => a.startsWith("2001:db8:c0de:")).length, 2);
                // externalIPs only in the example service's namespace; the probe runs there, once it exists.
                const namespaces = (policy.inputs.spec as { validations: { expression: string }[] }).validations[2].expression;
                assert.match(namespaces, /object\.metadata\.namespace in \['hello'\]/);
                assert.ok(inForce.dependsOn.includes("addons-namespace-hello"), inForce.dependsOn.join(", "));
                assert.match(inForce.inputs.create as string, /"namespace":"hello"/);
            });

            it("CoreDNS starts after kube-proxy (it reaches the apiserver through a service address)", () => {
                assert.ok(get(prod, "addons-deployment-kube-system-coredns").dependsOn.includes("addons-daemonset-kube-system-kube-proxy"));
            });

            it("NAT64 runs on the IPv4 host only, after its network activation and mesh; every host's DNS after the gateway", () => {
                const gatewaySteps = prod
                    .filter((r) => r.name.startsWith("nat64-") && r.type === "command:remote:Command")
                    .map((r) => r.name);
                // Every other host has the step that undoes a gateway it may have been (test/program/hostLosses.test.ts).
                const cleanups = ["cp2", "cp3", "w1", "w2", "w3"].map((h) => `nat64-${h}-cleanup`);
                assert.deepEqual(gatewaySteps.sort(), ["nat64-cp1-activate", "nat64-cp1-files", ...cleanups].sort());
                const before = upstream(prod, "nat64-cp1-files");
                for (const step of ["node-cp1-activate", "mesh-cp1"]) assert.ok(before.has(step), `nat64-cp1-files after ${step}`);
                for (const h of ["cp1", "cp2", "cp3", "w1", "w2", "w3"]) {
                    const deps = get(prod, `dns-${h}`).dependsOn;
                    assert.ok(deps.includes(`mesh-${h}`) && deps.includes("nat64-cp1-activate"), `dns-${h}`);
                    // Kubernetes pulls images (Docker Hub's are IPv4-only) only once the host has DNS64.
                    assert.ok(upstream(prod, `k8s-${h}-preflight`).has(`dns-${h}`), `k8s-${h} after dns-${h}`);
                }
            });

            it("exports the DNS records of the example service: AAAA for cp1 and w1, A for cp1", async () => {
                const records = (await resolve(outputs.dnsRecords as object[])) as { service: string; zone: string[] }[];
                assert.deepEqual(
                    records.map((r) => r.service),
                    ["hello/hello"],
                );
                assert.deepEqual(records[0].zone, [
                    "hello.example.org. 300 IN AAAA 2001:db8:10a:1f2e::2",
                    "hello.example.org. 300 IN AAAA 2001:db8:20a:5d00::2",
                    "hello.example.org. 300 IN A 203.0.113.10",
                ]);
                assert.deepEqual(await resolve(outputs.dns64 as object), { prefix: "fd8a:31c2:7c1f:1:1:64::/96", gateway: "cp1" });
            });
        });
    }

    describe("a stack with three gateways (one on hcloud) and a public service on hcloud", () => {
        let rs: RecordedResource[];
        let outputs: Record<string, unknown>;
        before(async () => {
            ({ resources: rs, outputs } = await sharedRun(twoGateways()));
        });

        it("every IPv4 host is a gateway; its files map inbound IPv4 to its own public IPv6, hcloud's included", () => {
            const names = rs
                .filter((r) => r.name.startsWith("nat64-") && r.name.endsWith("-files"))
                .map((r) => r.name)
                .sort();
            assert.deepEqual(names, ["nat64-gw3-files", "nat64-gw7-files", "nat64-h9-files"]);
            const files = (h: string) => decodeInstalledFiles(unwrap<string>(get(rs, `nat64-${h}-files`).inputs.create));
            assert.match(files("gw3").get("/etc/v6k8s/tayga.conf")!.content, /^map 192\.168\.255\.2 2001:db8:a:3::2$/m);
            assert.match(
                files("gw3").get("/usr/local/lib/v6k8s/nat64-inbound.sh")!.content,
                /--dport 25 .*\n.*--dport 80 .*\n.*--dport 443 /,
            );
            assert.doesNotMatch(files("gw7").get("/etc/v6k8s/tayga.conf")!.content, /^map /m, "no ports, no map");
            assert.match(files("h9").get("/etc/v6k8s/tayga.conf")!.content, /^map 192\.168\.255\.2 2001:db8:c0de:[0-9a-f]+::1$/m);
            assert.match(
                files("h9").get("/usr/local/lib/v6k8s/nat64-inbound.sh")!.content,
                /-d 198\.51\.100\.7\/32 -p tcp -m tcp --dport 80 /,
            );
        });

        it("cluster.nat64Pool reaches every gateway's Tayga, masquerade and inbound map; the default is 192.168.255.0/24", async () => {
            const raw = twoGateways();
            (raw.cluster as Record<string, unknown>).nat64Pool = { ipv4Address: "198.51.100.1", dynamicPool: "198.51.100.0/24" };
            const { resources } = await sharedRun(raw);
            for (const h of ["gw3", "gw7", "h9"]) {
                const files = decodeInstalledFiles(unwrap<string>(get(resources, `nat64-${h}-files`).inputs.create));
                const tayga = files.get("/etc/v6k8s/tayga.conf")!.content;
                assert.match(tayga, /^ipv4-addr 198\.51\.100\.1$/m, h);
                assert.match(tayga, /^dynamic-pool 198\.51\.100\.0\/24$/m, h);
                assert.match(files.get("/usr/local/lib/v6k8s/nat64-up.sh")!.content, /POSTROUTING -s 198\.51\.100\.0\/24 /, h);
                const before = decodeInstalledFiles(unwrap<string>(get(rs, `nat64-${h}-files`).inputs.create));
                assert.match(before.get("/etc/v6k8s/tayga.conf")!.content, /^dynamic-pool 192\.168\.255\.0\/24$/m, `${h}: the default`);
            }
            const gw3 = decodeInstalledFiles(unwrap<string>(get(resources, "nat64-gw3-files").inputs.create));
            assert.match(gw3.get("/etc/v6k8s/tayga.conf")!.content, /^map 198\.51\.100\.2 2001:db8:a:3::2$/m);
        });

        it("the service's externalIPs are its hosts' public IPv6 addresses; the records add A for IPv4 hosts", async () => {
            const svc = get(rs, "svc-default-web-service");
            assert.equal(svc.provider, PROVIDER);
            const spec = svc.inputs.spec as { externalIPs: string[] };
            assert.equal(spec.externalIPs.length, 3);
            assert.deepEqual(spec.externalIPs.slice(0, 2), ["2001:db8:a:3::2", "2001:db8:a:1::2"]);
            const [records] = (await resolve(outputs.dnsRecords as object[])) as {
                records: { type: string; host: string }[];
                zone: string[];
            }[];
            assert.deepEqual(
                records.records.map((r) => `${r.type} ${r.host}`),
                ["AAAA gw3", "AAAA cp1", "AAAA h9", "A gw3", "A h9"],
            );
            assert.deepEqual(records.zone, [], "no dnsName, no zone lines");
        });

        it("the hcloud firewall opens the service's ports (h9 serves it); the host firewall opens ipv4Ports to the NAT64 /96 only", () => {
            const rules = get(rs, "hcloud-firewall").inputs.rules as { protocol: string; port?: string; sourceIps: string[] }[];
            assert.deepEqual(rules.map((r) => `${r.protocol}/${r.port ?? "-"}`).sort(), [
                "icmp/-",
                "tcp/22",
                "tcp/443",
                "tcp/80",
                "udp/51820",
            ]);
            const fw = decodeInstalledFiles(unwrap<string>(get(rs, "node-gw3-files").inputs.create)).get(
                "/etc/v6k8s/host-firewall.nft",
            )!.content;
            assert.match(fw, /ip6 saddr \{ fd8a:31c2:7c1f:1:3:64::\/96 \} tcp dport 25 accept/);
            // ... and no Service with externalIPs may take it (the policy's ports rule lists the nodes' ipv4Ports).
            const policyRules = (get(rs, POLICY).inputs.spec as { validations: { expression: string }[] }).validations;
            assert.match(policyRules[1].expression, /'22\/TCP'.*'25\/TCP'.*'51820\/UDP'/);
        });

        it("hosts resolve through two gateways' DNS64 resolvers, then an upstream", () => {
            const conf = decodeInstalledFiles(get(rs, "dns-cp1").inputs.create as string).get("/etc/resolv.conf")!.content;
            assert.deepEqual(
                conf.split("\n").filter((l) => l.startsWith("nameserver")),
                ["nameserver fd8a:31c2:7c1f:1:3::1", "nameserver fd8a:31c2:7c1f:1:7::1", "nameserver 2a01:4ff:ff00::add:1"],
            );
            for (const gw of ["gw3", "gw7", "h9"]) assert.ok(get(rs, "dns-cp1").dependsOn.includes(`nat64-${gw}-activate`));
        });
    });

    it("kubernetesProviderServer points the provider (only) at another apiserver URL", async () => {
        const raw = prodRaw() as RawConfig;
        raw.cluster.kubernetesProviderServer = "https://127.0.0.1:16443";
        const { resources, outputs } = await sharedRun(raw);
        assert.match(unwrap<string>(get(resources, PROVIDER).inputs.kubeconfig), /server: https:\/\/127\.0\.0\.1:16443/);
        assert.match(
            (await resolve(outputs.kubeconfig as string))!,
            /server: https:\/\/\[2001:db8:10a:1f2e::2\]:6443/,
            "the admin kubeconfig is unchanged",
        );
    });

    it("adding a worker changes no gateway, DNS step or Kubernetes object but the externalIPs policy (which allows its address)", async function () {
        // Two whole program runs (when not shared yet): slow machines need more than mocha's default.
        this.timeout(180_000);
        const before = (await sharedRun(prodRaw())).resources;
        const raw = prodRaw() as RawConfig;
        raw.nodes.push(dedicated("w4", 14, ["worker"], "2001:db8:20b::/64"));
        const after = (await sharedRun(raw)).resources;
        const mine = before.filter(
            (r) =>
                /^(nat64-|dns-|addons-|svc-)/.test(r.name) &&
                r.type !== "pulumi:providers:kubernetes" &&
                r.name !== POLICY &&
                r.name !== IN_FORCE,
        );
        assert.ok(mine.length > 20);
        for (const r of mine) assert.deepEqual(get(after, r.name).inputs, r.inputs, `${r.name} changed`);
        assert.ok(after.some((r) => r.name === "dns-w4"));
        const expression = (r: RecordedResource) => (r.inputs.spec as { validations: { expression: string }[] }).validations[0].expression;
        assert.doesNotMatch(expression(get(before, POLICY)), /'2001:db8:20b::2'/);
        assert.match(expression(get(after, POLICY)), /'2001:db8:20b::2'/);
        // The in-force check asks for the new address too, so it runs again (its trigger changed).
        assert.match(String(unwrap(get(after, IN_FORCE).inputs.create)), /"2001:db8:20b::2"/);
        assert.notDeepEqual(get(after, IN_FORCE).inputs.triggers, get(before, IN_FORCE).inputs.triggers);
    });

    it("the example stack's config is what the tests above assume", () => {
        const c = prodStackConfig();
        assert.deepEqual(
            c.services.map((s) => [s.name, s.hosts]),
            [["hello", ["cp1", "w1"]]],
        );
    });
});
