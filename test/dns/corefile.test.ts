import { strict as assert } from "assert";
import { validateStackConfig } from "../../components/config/load";
import { planStack } from "../../components/config/stackPlan";
import { corefileStanzas, dns64PrefixOf, formatCorefile, renderCorefile } from "../../components/dns/render/corefile";
import { Prefix } from "../../components/network/prefix";
import { expectGolden } from "../support/golden";
import { fakeHostKey } from "../support/hostKeys";

const raw = {
    cluster: { ulaPrefix: "fd8a:31c2:7c1f:1::/64", kubernetesVersion: "1.34.2" },
    nodes: [
        { name: "cp1", index: 1, kind: "dedicated", hostKey: fakeHostKey("cp1"), roles: ["control-plane"], gua: "2001:db8:10a:1f2e::/64" },
        {
            name: "gw7",
            index: 7,
            kind: "dedicated",
            hostKey: fakeHostKey("gw7"),
            roles: ["worker"],
            gua: "2001:db8:10b:2c41::/64",
            ipv4: "203.0.113.10",
        },
        {
            name: "gw3",
            index: 3,
            kind: "dedicated",
            hostKey: fakeHostKey("gw3"),
            roles: ["worker"],
            gua: "2001:db8:10c:93a0::/64",
            ipv4: "203.0.113.11",
        },
    ],
};
const plan = planStack(validateStackConfig(raw));

describe("CoreDNS Corefile rendering", () => {
    it("dns64 uses the NAT64 /96 of the IPv4 node with the lowest index", () => {
        assert.equal(dns64PrefixOf(plan)?.toString(), "fd8a:31c2:7c1f:1:3:64::/96");
    });

    it("has no dns64 when no node has IPv4", () => {
        const v6only = planStack(
            validateStackConfig({ ...raw, nodes: [raw.nodes[0], { ...raw.nodes[1], roles: ["worker"], ipv4: undefined }] }),
        );
        assert.equal(dns64PrefixOf(v6only), null);
        assert.ok(!renderCorefile({ dns64Prefix: null }).includes("dns64"));
    });

    it("renders the production Corefile (golden)", () => {
        expectGolden("dns/Corefile", renderCorefile({ dns64Prefix: dns64PrefixOf(plan) }));
    });

    it("renders explicit upstreams (golden)", () => {
        expectGolden(
            "dns/Corefile.upstreams",
            renderCorefile({ dns64Prefix: dns64PrefixOf(plan), upstreams: ["2001:db8:ffff::53", "2001:4860:4860::8888"] }),
        );
    });

    it("never uses translate_all, and the kubernetes plugin falls through only for the reverse zone", () => {
        const text = renderCorefile({ dns64Prefix: dns64PrefixOf(plan) });
        assert.ok(!text.includes("translate_all"));
        assert.match(text, /kubernetes cluster\.local ip6\.arpa \{\n {8}pods insecure\n {8}fallthrough ip6\.arpa\n/);
        for (const plugin of ["errors", "health", "ready", "loop", "reload", "loadbalance", "cache 30", "forward . /etc/resolv.conf"]) {
            assert.ok(text.includes(`    ${plugin}`), `missing ${plugin}`);
        }
    });

    it("a single plugin can be swapped without touching the others (the lab replaces kubernetes)", () => {
        const stanzas = corefileStanzas({ dns64Prefix: dns64PrefixOf(plan) });
        const swapped = stanzas.map((s) => (s.plugin === "kubernetes" ? { plugin: "hosts", lines: ["hosts"] } : s));
        const before = formatCorefile(stanzas).split("\n");
        const after = formatCorefile(swapped).split("\n");
        assert.deepEqual(
            after.filter((l) => !before.includes(l)),
            ["    hosts"],
        );
    });

    it("rejects a dns64 prefix that is not a /96 and an upstream that is not an address or a path", () => {
        assert.throws(() => renderCorefile({ dns64Prefix: Prefix.parse("fd8a:31c2:7c1f:1:3::/80") }), /must be a \/96/);
        assert.throws(
            () => renderCorefile({ dns64Prefix: null, upstreams: ["dns.example"] }),
            /neither a resolv.conf path nor an IP address/,
        );
        assert.throws(() => renderCorefile({ dns64Prefix: null, upstreams: [] }), /at least one upstream/);
    });
});
