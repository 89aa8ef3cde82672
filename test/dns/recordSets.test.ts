// The record sets cluster.dns keeps in the zone, planned from the config alone, and their values.
import { strict as assert } from "assert";
import { canonicalName, relativeName } from "../../components/common/names";
import { hasIpv4 } from "../../components/config/types";
import { HostAddresses, plannedRecordSets, recordValues } from "../../components/dns/render/recordSets";
import { formatV6 } from "../../components/network/prefix";
import { prodConfig } from "../addons/support";
import { expectGolden } from "../support/golden";

const ZONE = "example.org";
const nodes = [
    { name: "cp1", ipv4: true },
    { name: "w1", ipv4: false },
    { name: "w2", ipv4: false },
];

describe("DNS record sets (components/dns/render/recordSets.ts)", () => {
    it("names relative to the zone: the apex is @, another zone's name is null, case and a final dot do not matter", () => {
        const table: [string, string | null][] = [
            ["example.org", "@"],
            ["hello.example.org", "hello"],
            ["Hello.Example.ORG.", "hello"],
            ["a.b.example.org", "a.b"],
            ["example.org.evil", null],
            ["notexample.org", null],
            ["org", null],
        ];
        for (const [fqdn, want] of table) assert.equal(relativeName(fqdn, ZONE), want, fqdn);
        assert.equal(canonicalName("WWW.Example.org."), "www.example.org");
    });

    it("one AAAA set per service name with every host, an A set only with the hosts that have IPv4, then each node's own name", () => {
        const sets = plannedRecordSets(
            ZONE,
            [{ dnsName: "hello.example.org", hosts: ["cp1", "w1"] }, { hosts: ["w2"] }, { dnsName: "Example.org.", hosts: ["w1", "w2"] }],
            nodes,
        );
        assert.deepEqual(
            sets.map((s) => [s.id, s.name, s.type, s.hosts.join(","), s.service]),
            [
                ["dns-hello.example.org-AAAA", "hello", "AAAA", "cp1,w1", 0],
                ["dns-hello.example.org-A", "hello", "A", "cp1", 0],
                ["dns-example.org-AAAA", "@", "AAAA", "w1,w2", 2],
                ["dns-cp1.example.org-AAAA", "cp1", "AAAA", "cp1", null],
                ["dns-cp1.example.org-A", "cp1", "A", "cp1", null],
                ["dns-w1.example.org-AAAA", "w1", "AAAA", "w1", null],
                ["dns-w2.example.org-AAAA", "w2", "AAAA", "w2", null],
            ],
        );
    });

    it("refuses a name outside the zone or claimed twice (config validation says so first, naming the key)", () => {
        assert.throws(
            () => plannedRecordSets(ZONE, [{ dnsName: "hello.example.net", hosts: ["w1"] }], nodes),
            /not in the zone example\.org/,
        );
        assert.throws(
            () => plannedRecordSets(ZONE, [{ dnsName: "w1.example.org", hosts: ["w1"] }], nodes),
            /w1\.example\.org is claimed twice/,
        );
    });

    it("values: one per host in RFC 5952 (AAAA) or dotted quad (A), commented with the node; a host without the address is an error", () => {
        const addresses = new Map<string, HostAddresses>([
            ["cp1", { ipv6: "2001:DB8:10A:1F2E:0:0:0:2", ipv4: "203.0.113.10" }],
            ["w1", { ipv6: "2001:db8:20a:5d00::2", ipv4: null }],
        ]);
        const [aaaa, a] = plannedRecordSets(ZONE, [{ dnsName: "hello.example.org", hosts: ["cp1", "w1"] }], nodes);
        assert.deepEqual(recordValues(aaaa, addresses), [
            { value: "2001:db8:10a:1f2e::2", comment: "cp1" },
            { value: "2001:db8:20a:5d00::2", comment: "w1" },
        ]);
        assert.deepEqual(recordValues(a, addresses), [{ value: "203.0.113.10", comment: "cp1" }]);
        assert.throws(() => recordValues({ ...a, hosts: ["w1"] }, addresses), /w1 has no IPv4 address/);
        assert.throws(() => recordValues(aaaa, new Map()), /no addresses for cp1/);
    });

    it("Pulumi.prod.yaml with cluster.dns example.org: every set and record (golden; hcloud addresses as hcloud would assign them)", () => {
        const prod = prodConfig();
        const ttl = 300;
        const hcloud = new Map([
            ["w2", "2001:db8:c10d:2::1"],
            ["w3", "2001:db8:c10d:3::1"],
        ]);
        const addresses = new Map<string, HostAddresses>(
            prod.nodes.map((n) => [
                n.name,
                {
                    ipv6: n.kind === "dedicated" ? formatV6(n.publicAddress) : hcloud.get(n.name)!,
                    ipv4: n.kind === "dedicated" ? (n.ipv4 ?? null) : n.ipv4 ? "198.51.100.20" : null,
                },
            ]),
        );
        const sets = plannedRecordSets(
            ZONE,
            prod.services,
            prod.nodes.map((n) => ({ name: n.name, ipv4: hasIpv4(n) })),
        );
        const lines = sets.flatMap((set) =>
            recordValues(set, addresses).map(
                (r) => `${set.fqdn}. ${ttl} IN ${set.type} ${r.value} ; ${r.comment} (set ${set.id}, name ${set.name})`,
            ),
        );
        expectGolden("dns/prod-records.txt", `${lines.join("\n")}\n`);
    });
});
