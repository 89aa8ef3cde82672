import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { corefileStanzas, dns64PrefixOf, formatCorefile } from "../../components/dns/render/corefile";
import { readStackFile } from "../../components/config/stackFile";
import { planStack } from "../../components/config/stackPlan";
import { nat64Address } from "../checks/addresses";
import { DNS_POD, DUAL_NAME, INET4_SERVER, INET6_DNS, INET6_SERVER, V4ONLY_NAME, WHOAMI_PORT } from "../config";
import { COREDNS_VERSION, corednsPath, podName } from "../coredns";
import { podArgv } from "../machines";
import { tcpRequest } from "../probes";
import { run } from "../run";
import { gateway, ipv6OnlyHosts, lab, podOf, testPods } from "../session";

async function dig(type: string, name: string): Promise<string[]> {
    const pod = podOf(ipv6OnlyHosts()[ipv6OnlyHosts().length - 1]);
    const r = await run(podArgv(pod, ["dig", "+short", "+time=2", "+tries=2", `@${lab().dns.server}`, type, name]), { allowFail: true });
    assert.equal(r.code, 0, `dig ${type} ${name} from ${pod.ns} failed:\n${r.stdout}${r.stderr}`);
    return r.stdout.trim().split("\n").filter(Boolean);
}

describe(`5. DNS64: CoreDNS ${COREDNS_VERSION} with the project's rendered Corefile (kubernetes plugin replaced)`, function () {
    before(function () {
        const dns = lab().dns;
        if (dns.status !== "running") {
            const banner = "!".repeat(100);
            process.stderr.write(
                `\n${banner}\n!!! CHECK 5 (DNS64) SKIPPED, NOT PASSED: ${dns.reason}\n!!! expected binary: ${corednsPath()} (lab/build-coredns.sh)\n${banner}\n\n`,
            );
            this.skip();
        }
    });

    it("runs the rendered Corefile with only the kubernetes plugin swapped (for a hosts block) and forward pointed at the lab upstream", () => {
        const dns = lab().dns;
        const prefix = dns64PrefixOf(planStack(readStackFile(lab().stack)));
        const rendered = formatCorefile(corefileStanzas({ dns64Prefix: prefix, upstreams: [INET6_DNS] })).split("\n");
        const running = dns.corefile!.split("\n");
        const onlyRendered = rendered.filter((l) => !running.includes(l));
        assert.ok(
            onlyRendered.every((l) => /kubernetes|pods insecure|ttl 30/.test(l)),
            `lines of the rendered Corefile missing from the lab's: ${onlyRendered.join(" | ")}`,
        );
        assert.ok(
            running.some((l) => l.trim().startsWith(`prefix ${prefix}`)),
            "dns64 prefix is not the gateway's NAT64 /96",
        );
    });

    it("answers AAAA for an A-only name with the gateway's NAT64 address", async () => {
        const expected = nat64Address(gateway().nat64!, INET4_SERVER);
        assert.deepEqual(await dig("AAAA", V4ONLY_NAME), [expected], `AAAA ${V4ONLY_NAME} should be synthesised as ${expected}`);
    });

    it("leaves a real AAAA alone (no translate_all)", async () => {
        assert.deepEqual(await dig("AAAA", DUAL_NAME), [INET6_SERVER]);
    });

    it("serves cluster names from the kubernetes stand-in, and their reverse (PTR)", async () => {
        const pod = testPods()[0];
        assert.deepEqual(await dig("AAAA", podName(pod)), [pod.ula]);
        const ptr = await run(podArgv(podOf(ipv6OnlyHosts()[0]), ["dig", "+short", `@${lab().dns.server}`, "-x", pod.ula]));
        assert.equal(ptr.stdout.trim(), `${podName(pod)}.`);
    });

    it("a pod connects to the IPv4-only server by name (its resolv.conf points at the cluster DNS)", async () => {
        for (const h of ipv6OnlyHosts()) {
            const pod = podOf(h);
            const resolv = fs.readFileSync(path.join(pod.root, "etc/resolv.conf"), "utf8");
            assert.match(resolv, new RegExp(`nameserver ${lab().dns.server}`));
            const r = await tcpRequest({ ns: pod.ns, root: pod.root }, V4ONLY_NAME, WHOAMI_PORT, 8);
            assert.equal(r.reply, gateway().ipv4, `pod on ${h.name} -> ${V4ONLY_NAME}:${WHOAMI_PORT}: ${r.reply ?? r.error}`);
        }
        assert.ok(
            lab().pods.some((p) => p.name === DNS_POD && ipv6OnlyHosts().some((h) => h.name === p.host)),
            "CoreDNS should run on an IPv6-only host",
        );
    });
});
