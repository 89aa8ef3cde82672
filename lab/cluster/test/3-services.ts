// Cluster check 3: the cluster services, applied from the program's own objects: kube-proxy
// (ClusterIP from another node, externalIPs from the internet) and CoreDNS with DNS64 (cluster
// names, synthesised AAAA inside the gateway's NAT64 /96, an IPv4-only server reached by name).
import { strict as assert } from "assert";
import { parseV6Address } from "../../../components/network/prefix";
import { inPrefix, ipv4Value } from "../../checks/addresses";
import { DUAL_NAME, INET4_SERVER, INET6_DNS, INET6_SERVER, V4ONLY_NAME } from "../../config";
import { gateway } from "../../session";
import {
    HELLO_PAGE,
    PROBE_CPU_REQUEST,
    TEST_NS,
    clusterIpFailures,
    fromInternet,
    helloHosts,
    nslookupV6,
    toolboxExec as exec,
} from "../checks";
import { kubectl, kubectlJson } from "../operator";
import { cluster, hostNamed, labState, operator } from "../session";
import { eventually } from "../../run";
import { sshOnHost } from "../ssh";
import { TOOLBOX_IMAGE } from "../toolchain";

const NODE_PORT = 30080;
const LB_NODE_PORT = 30081;
const HOST_PORT = 18080;

describe("cluster 3. services, DNS and DNS64", () => {
    let clusterIP = "";

    before(async () => {
        const c = operator();
        await kubectl(c, ["-n", "kube-system", "rollout", "status", "daemonset/kube-proxy", "--timeout=240s"], { timeoutMs: 250_000 });
        await kubectl(c, ["-n", "kube-system", "rollout", "status", "deployment/coredns", "--timeout=240s"], { timeoutMs: 250_000 });
        await kubectl(c, ["-n", "hello", "rollout", "status", "deployment/hello", "--timeout=240s"], { timeoutMs: 250_000 });
        clusterIP = (await kubectlJson<{ spec: { clusterIP: string } }>(c, ["-n", "hello", "get", "service", "hello"])).spec.clusterIP;
    });

    it("a ClusterIP service answers from every node's pod through kube-proxy (endpoints on other nodes included)", async () => {
        assert.deepEqual(await clusterIpFailures(labState().hosts, clusterIP), []);
    });

    it("CoreDNS answers kubernetes.default.svc.cluster.local with the apiserver service address", async () => {
        const r = await exec(labState().hosts[1].name, ["nslookup", "-type=AAAA", "kubernetes.default.svc.cluster.local"]);
        const apiserver = cluster().plan.cluster.apiserverService;
        const answers = nslookupV6(r.stdout);
        assert.ok(
            answers.some((a) => parseV6Address(a) === apiserver),
            `answers ${answers.join(", ")}:\n${r.stdout}${r.stderr}`,
        );
    });

    it("CoreDNS synthesises an AAAA inside the gateway's NAT64 /96 for an A-only name", async () => {
        const gw = gateway(labState());
        const r = await exec(labState().hosts[2].name, ["nslookup", "-type=AAAA", V4ONLY_NAME]);
        const answers = nslookupV6(r.stdout).filter((a) => a !== "::1");
        const synthesised = answers.filter((a) => inPrefix(a, gw.nat64!));
        assert.ok(synthesised.length > 0, `no AAAA in ${gw.nat64}: ${answers.join(", ")}\n${r.stdout}${r.stderr}`);
        assert.equal(parseV6Address(synthesised[0]) & 0xffffffffn, ipv4Value(INET4_SERVER));
    });

    it("the gateway's own DNS64 resolver (production's unbound, from its gateway step) answers an IPv6-only host over the mesh", async () => {
        const gw = gateway(labState());
        const host = labState().hosts.find((h) => h.ipv4 === null)!;
        const dig = (name: string) =>
            sshOnHost(host, `dig +short +time=2 +tries=3 AAAA ${name} @${gw.wireguardAddress}`, { allowFail: true });
        const v4only = await dig(V4ONLY_NAME);
        const synthesised = v4only.stdout
            .trim()
            .split("\n")
            .filter((a) => a.includes(":"));
        assert.equal(
            synthesised.length,
            1,
            `${host.name} asking ${gw.name}'s resolver for ${V4ONLY_NAME}: ${v4only.stdout}${v4only.stderr}`,
        );
        assert.ok(inPrefix(synthesised[0], gw.nat64!), `${synthesised[0]} is not in ${gw.nat64}`);
        assert.equal(parseV6Address(synthesised[0]) & 0xffffffffn, ipv4Value(INET4_SERVER));
        const dual = await dig(DUAL_NAME);
        assert.equal(dual.stdout.trim(), INET6_SERVER, `a real AAAA passes unchanged: ${dual.stdout}${dual.stderr}`);
    });

    it("a pod on an IPv6-only node connects to the IPv4-only server by name (DNS64 + NAT64 on the gateway)", async () => {
        const node = labState().hosts.find((h) => h.ipv4 === null)!;
        const r = await exec(node.name, ["nc", "-w", "10", V4ONLY_NAME, "80"]);
        // The IPv4-only server answers with the address it saw: the gateway's public IPv4.
        const gw = labState().hosts.find((h) => h.ipv4 !== null)!;
        assert.equal(r.stdout.trim(), gw.ipv4, `${r.stdout}${r.stderr}`);
    });

    it("the externalIPs admission policy refuses a Service claiming an address that is no host's (CVE-2020-8554), a host's own port or a namespace the stack does not name, admits a host's address", async () => {
        const svc = (name: string, ip: string, port = { port: 53, protocol: "UDP" }, namespace = TEST_NS) =>
            JSON.stringify({
                apiVersion: "v1",
                kind: "Service",
                metadata: { name, namespace },
                spec: { selector: { app: "none" }, ports: [port], externalIPs: [ip] },
            });
        // A host's own ports on its own address: SSH would be captured, the mesh to it broken.
        for (const port of [
            { port: 22, protocol: "TCP" },
            { port: 51820, protocol: "UDP" },
            { port: 6443, protocol: "TCP" },
            { port: 10250, protocol: "TCP" },
        ]) {
            const r = await kubectl(operator(), ["apply", "-f", "-"], {
                input: svc("capture-host-port", labState().hosts[1].publicAddress, port),
                allowFail: true,
            });
            assert.notEqual(r.code, 0, `a Service on a host's address took ${port.port}/${port.protocol}`);
            assert.match(r.stderr, /may not take a host's own port/, `${port.port}/${port.protocol}: ${r.stderr}`);
        }
        // The lab's upstream resolver: a Service on it would capture the cluster's DNS traffic.
        const foreign = await kubectl(operator(), ["apply", "-f", "-"], { input: svc("capture-dns", INET6_DNS), allowFail: true });
        assert.notEqual(foreign.code, 0, "a Service with a foreign externalIP was admitted");
        assert.match(foreign.stderr, /v6k8s-external-ips/);
        // A host's address on a free port, in a namespace the stack does not name (TEST_NS is in
        // the cluster stack's externalIPNamespaces, `hello` is a public service's).
        const elsewhere = await kubectl(operator(), ["apply", "-f", "-"], {
            input: svc("other-namespace", labState().hosts[1].publicAddress, undefined, "default"),
            allowFail: true,
        });
        assert.notEqual(elsewhere.code, 0, "a Service with externalIPs was admitted in a namespace the stack does not name");
        assert.match(elsewhere.stderr, /may only be used in the namespaces the stack names.*hello, lab-checks/, elsewhere.stderr);
        const own = await kubectl(operator(), ["apply", "-f", "-"], {
            input: svc("on-a-host", labState().hosts[1].publicAddress),
            allowFail: true,
        });
        assert.equal(own.code, 0, own.stderr);
        await kubectl(operator(), ["-n", TEST_NS, "delete", "service", "on-a-host"]);
    });

    it("NodePorts (of a NodePort and of a LoadBalancer Service) answer on a node's ULA, not on its public address from the internet", async () => {
        // The hello workload behind two more Services, with fixed NodePorts.
        const selector = (
            await kubectlJson<{ spec: { selector: Record<string, string> } }>(operator(), ["-n", "hello", "get", "service", "hello"])
        ).spec.selector;
        const svc = (name: string, type: string, nodePort: number) => ({
            apiVersion: "v1",
            kind: "Service",
            metadata: { name, namespace: "hello" },
            spec: { type, ipFamilies: ["IPv6"], selector, ports: [{ port: 80, targetPort: 8080, nodePort }] },
        });
        const items = [svc("hello-nodeport", "NodePort", NODE_PORT), svc("hello-lb", "LoadBalancer", LB_NODE_PORT)];
        await kubectl(operator(), ["apply", "-f", "-"], { input: JSON.stringify({ apiVersion: "v1", kind: "List", items }) });
        try {
            const [lab1, lab2] = [hostNamed("lab1"), hostNamed("lab2")];
            for (const port of [NODE_PORT, LB_NODE_PORT]) {
                // From another node over the mesh: kube-proxy answers on lab1's ULA (its rules may take a moment).
                const url = `http://[${lab1.wireguardAddress}]:${port}/`;
                const inside = await eventually(
                    async () => (await sshOnHost(lab2, `curl -fsS --max-time 5 ${url}`, { allowFail: true })).stdout.includes(HELLO_PAGE),
                    60_000,
                    2000,
                );
                assert.ok(inside, `lab2 -> ${url}: no answer within 60 s`);
                // From the internet, lab1's public address: nothing (kube-proxy does not listen there, the firewall drops).
                const outside = await fromInternet(lab1, port, 5);
                assert.notEqual(outside.code, 0, `the internet reached NodePort ${port} on lab1's public address: ${outside.stdout}`);
                assert.doesNotMatch(outside.stdout, new RegExp(HELLO_PAGE));
            }
        } finally {
            await kubectl(operator(), ["-n", "hello", "delete", "service", "hello-nodeport", "hello-lb", "--ignore-not-found"], {
                allowFail: true,
            });
        }
    });

    it("a pod's hostPort answers on its node's ULA from another node, not on the node's public address from the internet (portmap)", async () => {
        const pod = {
            apiVersion: "v1",
            kind: "Pod",
            metadata: { name: "hostport", namespace: TEST_NS },
            spec: {
                nodeName: "lab1",
                tolerations: [{ operator: "Exists" }],
                terminationGracePeriodSeconds: 1,
                containers: [
                    {
                        name: "httpd",
                        image: TOOLBOX_IMAGE,
                        command: ["httpd", "-f", "-p", "8080", "-h", "/www"],
                        ports: [{ containerPort: 8080, hostPort: HOST_PORT, protocol: "TCP" }],
                        resources: { requests: { cpu: PROBE_CPU_REQUEST } },
                    },
                ],
            },
        };
        await kubectl(operator(), ["apply", "-f", "-"], { input: JSON.stringify(pod) });
        try {
            await kubectl(operator(), ["-n", TEST_NS, "wait", "--for=condition=Ready", "pod/hostport", "--timeout=120s"], {
                timeoutMs: 130_000,
            });
            const [lab1, lab2] = [hostNamed("lab1"), hostNamed("lab2")];
            const url = `http://[${lab1.wireguardAddress}]:${HOST_PORT}/`;
            const inside = await eventually(
                async () => (await sshOnHost(lab2, `curl -fsS --max-time 5 ${url}`, { allowFail: true })).stdout.includes(HELLO_PAGE),
                30_000,
                1000,
            );
            assert.ok(inside, `lab2 -> ${url}: the hostPort did not answer within 30 s`);
            // The host firewall drops what is translated from outside the mesh (not a published port).
            const outside = await fromInternet(lab1, HOST_PORT, 5);
            assert.notEqual(outside.code, 0, `the internet reached hostPort ${HOST_PORT} on lab1's public address: ${outside.stdout}`);
        } finally {
            // Gone before the next check: check 4's restart snapshot would see it vanish.
            await kubectl(operator(), ["-n", TEST_NS, "delete", "pod", "hostport", "--ignore-not-found", "--timeout=60s"], {
                allowFail: true,
                timeoutMs: 70_000,
            });
        }
    });

    it("the example public service answers on its hosts' public addresses from the IPv6 internet (externalIPs)", async () => {
        for (const h of helloHosts()) {
            const r = await fromInternet(h);
            assert.ok(r.stdout.includes(HELLO_PAGE), `${h.name} [${h.publicAddress}]:80: exit ${r.code} ${r.stdout}${r.stderr}`);
        }
    });
});
