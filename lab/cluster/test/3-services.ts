// Cluster check 3: the cluster services, applied from the program's own objects: kube-proxy
// (ClusterIP from another node, externalIPs from the internet) and CoreDNS with DNS64 (cluster
// names, synthesised AAAA inside the gateway's NAT64 /96, an IPv4-only server reached by name).
import { strict as assert } from "assert";
import { Prefix, parseV6Address } from "../../../components/network/prefix";
import { INET4_SERVER, INET6_NS, V4ONLY_NAME } from "../../config";
import { inNs } from "../../netns";
import { run } from "../../run";
import { kubectl, kubectlJson } from "../operator";
import { cluster, labState, operator } from "../session";
import { TEST_NS, toolboxPod } from "./2-pods";

const exec = (node: string, argv: string[]) =>
    kubectl(operator(), ["-n", TEST_NS, "exec", toolboxPod(node), "--", ...argv], { allowFail: true, timeoutMs: 60_000 });

describe("cluster 3. services, DNS and DNS64", () => {
    const page = "hello from the v6k8s lab";
    let clusterIP = "";

    before(async () => {
        const c = operator();
        await kubectl(c, ["-n", "kube-system", "rollout", "status", "daemonset/kube-proxy", "--timeout=240s"], { timeoutMs: 250_000 });
        await kubectl(c, ["-n", "kube-system", "rollout", "status", "deployment/coredns", "--timeout=240s"], { timeoutMs: 250_000 });
        await kubectl(c, ["-n", "hello", "rollout", "status", "deployment/hello", "--timeout=240s"], { timeoutMs: 250_000 });
        clusterIP = (await kubectlJson<{ spec: { clusterIP: string } }>(c, ["-n", "hello", "get", "service", "hello"])).spec.clusterIP;
    });

    it("a ClusterIP service answers from every node's pod through kube-proxy (endpoints on other nodes included)", async () => {
        const failed: string[] = [];
        for (const h of labState().hosts) {
            // busybox-static's wget crashes in its static glibc resolver: an HTTP request by nc.
            const r = await exec(h.name, ["sh", "-c", `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 10 ${clusterIP} 80`]);
            if (!r.stdout.includes(page)) failed.push(`${h.name}: exit ${r.code} ${r.stdout}${r.stderr}`);
        }
        assert.deepEqual(failed, []);
    });

    it("CoreDNS answers kubernetes.default.svc.cluster.local with the apiserver service address", async () => {
        const r = await exec(labState().hosts[1].name, ["nslookup", "-type=AAAA", "kubernetes.default.svc.cluster.local"]);
        const apiserver = cluster().plan.cluster.apiserverService;
        const answers = [...r.stdout.matchAll(/Address:\s*([0-9a-f:]+)$/gm)].map((m) => m[1]).filter((a) => a.includes(":"));
        assert.ok(answers.some((a) => parseV6Address(a) === apiserver), `answers ${answers.join(", ")}:\n${r.stdout}${r.stderr}`);
    });

    it("CoreDNS synthesises an AAAA inside the gateway's NAT64 /96 for an A-only name", async () => {
        const gw = labState().hosts.find((h) => h.nat64 !== null)!;
        const r = await exec(labState().hosts[2].name, ["nslookup", "-type=AAAA", V4ONLY_NAME]);
        const answers = [...r.stdout.matchAll(/Address:\s*([0-9a-f:]+)$/gm)].map((m) => m[1]).filter((a) => a.includes(":") && a !== "::1");
        const synthesised = answers.filter((a) => Prefix.parse(gw.nat64!).containsAddress(parseV6Address(a)));
        assert.ok(synthesised.length > 0, `no AAAA in ${gw.nat64}: ${answers.join(", ")}\n${r.stdout}${r.stderr}`);
        assert.equal(parseV6Address(synthesised[0]) & 0xffffffffn, BigInt(INET4_SERVER.split(".").reduce((a, o) => a * 256 + Number(o), 0)));
    });

    it("a pod on an IPv6-only node connects to the IPv4-only server by name (DNS64 + NAT64 on the gateway)", async () => {
        const node = labState().hosts.find((h) => h.ipv4 === null)!;
        const r = await exec(node.name, ["nc", "-w", "10", V4ONLY_NAME, "80"]);
        // The IPv4-only server answers with the address it saw: the gateway's public IPv4.
        const gw = labState().hosts.find((h) => h.ipv4 !== null)!;
        assert.equal(r.stdout.trim(), gw.ipv4, `${r.stdout}${r.stderr}`);
    });

    it("the externalIPs admission policy refuses a Service claiming an address that is no host's (CVE-2020-8554), admits a host's", async () => {
        const svc = (name: string, ip: string) => JSON.stringify({
            apiVersion: "v1", kind: "Service", metadata: { name, namespace: TEST_NS },
            spec: { selector: { app: "none" }, ports: [{ port: 53, protocol: "UDP" }], externalIPs: [ip] },
        });
        // The lab's upstream resolver: a Service on it would capture the cluster's DNS traffic.
        const foreign = await kubectl(operator(), ["apply", "-f", "-"], { input: svc("capture-dns", "2001:db8:ffff::53"), allowFail: true });
        assert.notEqual(foreign.code, 0, "a Service with a foreign externalIP was admitted");
        assert.match(foreign.stderr, /v6k8s-external-ips/);
        const own = await kubectl(operator(), ["apply", "-f", "-"], { input: svc("on-a-host", labState().hosts[1].publicAddress), allowFail: true });
        assert.equal(own.code, 0, own.stderr);
        await kubectl(operator(), ["-n", TEST_NS, "delete", "service", "on-a-host"]);
    });

    it("the example public service answers on its hosts' public addresses from the IPv6 internet (externalIPs)", async () => {
        const hosts = cluster().config.services.find((s) => s.name === "hello")!.hosts;
        for (const name of hosts) {
            const h = labState().hosts.find((x) => x.name === name)!;
            const r = await run(inNs(INET6_NS, ["curl", "-fsS", "--max-time", "10", `http://[${h.publicAddress}]:80/`]), { allowFail: true });
            assert.ok(r.stdout.includes(page), `${name} [${h.publicAddress}]:80: exit ${r.code} ${r.stdout}${r.stderr}`);
        }
    });
});
