// cluster.dns under Pulumi mocks: the zone (when the stack owns it), one hcloud record set per
// public service name and type and per node, with the hosts' addresses as values, the hcloud
// servers' reverse DNS, and the records following the hosts as they leave a service or the cluster.
import { strict as assert } from "assert";
import { parse } from "yaml";
import * as fs from "fs";
import { projectKeys } from "../../components/config/stackFile";
import { PROD_FILE } from "../addons/support";
import { RecordedResource, resolve } from "../support/pulumiMocks";
import { isSecret, resourceNamed as get } from "../support/recorded";
import { sharedRun } from "../support/sharedRuns";

const RRSET = "hcloud:index/zoneRrset:ZoneRrset";

interface RawStack {
    cluster: Record<string, unknown>;
    nodes: { name: string; leaving?: boolean }[];
    services: { hosts: string[] }[];
}

function prodWithDns(dns: Record<string, unknown>, edit: (raw: RawStack) => void = () => undefined): Record<string, unknown> {
    const raw = projectKeys(parse(fs.readFileSync(PROD_FILE, "utf8")).config, "v6k8s") as unknown as RawStack;
    raw.cluster = { ...raw.cluster, dns };
    edit(raw);
    return raw as unknown as Record<string, unknown>;
}

const recordSets = (rs: RecordedResource[]) =>
    Object.fromEntries(
        rs
            .filter((r) => r.type === RRSET)
            .map((r) => [
                r.name,
                { name: r.inputs.name, type: r.inputs.type, values: (r.inputs.records as { value: string }[]).map((x) => x.value) },
            ]),
    );

describe("cluster.dns under Pulumi mocks: record sets in a Hetzner DNS zone", function () {
    this.timeout(180_000);
    let rs: RecordedResource[];
    let outputs: Record<string, unknown>;
    before(async () => {
        ({ resources: rs, outputs } = await sharedRun(prodWithDns({ zone: "example.org", manageZone: true, ttl: 120 })));
    });

    it("creates the zone it owns (primary) with its own hcloud provider, whose token stays secret", () => {
        const zone = get(rs, "dns-zone");
        assert.equal(zone.type, "hcloud:index/zone:Zone");
        assert.deepEqual(
            { name: zone.inputs.name, mode: zone.inputs.mode, ttl: zone.inputs.ttl },
            { name: "example.org", mode: "primary", ttl: 120 },
        );
        const provider = get(rs, "dns-provider");
        assert.equal(provider.type, "pulumi:providers:hcloud");
        assert.ok(isSecret(provider.inputs.token), "the token is a secret");
        for (const r of rs.filter((x) => x.type === RRSET || x.type === "hcloud:index/rdns:Rdns"))
            assert.equal(r.provider, "dns-provider", r.name);
    });

    it("the service's name lists its hosts (AAAA both, A the IPv4 one); every node has its own name; each set in the zone, with the TTL", () => {
        const sets = recordSets(rs);
        assert.deepEqual(sets["dns-hello.example.org-AAAA"], {
            name: "hello",
            type: "AAAA",
            values: ["2001:db8:10a:1f2e::2", "2001:db8:20a:5d00::2"],
        });
        assert.deepEqual(sets["dns-hello.example.org-A"], { name: "hello", type: "A", values: ["203.0.113.10"] });
        assert.deepEqual(sets["dns-cp1.example.org-A"], { name: "cp1", type: "A", values: ["203.0.113.10"] });
        for (const n of ["cp1", "cp2", "cp3", "w1", "w2", "w3"]) assert.equal(sets[`dns-${n}.example.org-AAAA`].values.length, 1, n);
        // hcloud servers' addresses as hcloud assigns them (the mock's).
        assert.match(sets["dns-w2.example.org-AAAA"].values[0], /^2001:db8:c0de:[0-9a-f]+::1$/);
        assert.equal(Object.keys(sets).length, 2 + 6 + 1);
        for (const r of rs.filter((x) => x.type === RRSET)) {
            assert.equal(r.inputs.zone, "example.org", r.name);
            assert.equal(r.inputs.ttl, 120, r.name);
        }
    });

    it("publishes the service's name only after the service (its records wait for its objects); nodes' names wait only for the zone", () => {
        const service = get(rs, "dns-hello.example.org-AAAA").dependsOn;
        assert.ok(service.includes("svc-hello-hello-service") && service.includes("svc-hello-hello-deployment"), service.join(", "));
        assert.deepEqual(get(rs, "dns-w1.example.org-AAAA").dependsOn, ["dns-zone"]);
    });

    it("reverse DNS for each hcloud server's IPv6 address points at its own name; none for dedicated servers (Robot sets theirs)", () => {
        const rdns = rs.filter((r) => r.type === "hcloud:index/rdns:Rdns");
        assert.deepEqual(rdns.map((r) => r.name).sort(), ["dns-rdns-w2-ipv6", "dns-rdns-w3-ipv6"]);
        for (const r of rdns) {
            const node = r.name.split("-")[2];
            assert.equal(r.inputs.dnsPtr, `${node}.example.org`);
            assert.equal(r.inputs.ipAddress, recordSets(rs)[`dns-${node}.example.org-AAAA`].values[0]);
            assert.equal(typeof r.inputs.serverId, "number");
        }
    });

    it("outputs the zone and its record sets", async () => {
        const out = (await resolve(outputs.dnsZoneRecords as object)) as {
            zone: string;
            recordSets: { name: string; type: string; records: string[] }[];
        };
        assert.equal(out.zone, "example.org");
        assert.deepEqual(out.recordSets.find((s) => s.name === "hello.example.org" && s.type === "AAAA")?.records, [
            "2001:db8:10a:1f2e::2",
            "2001:db8:20a:5d00::2",
        ]);
    });

    it("a zone the stack does not own is named, not created; without cluster.dns nothing of this exists", async () => {
        const named = (await sharedRun(prodWithDns({ zone: "example.org" }))).resources;
        assert.ok(!named.some((r) => r.type === "hcloud:index/zone:Zone"));
        assert.equal(get(named, "dns-hello.example.org-AAAA").inputs.zone, "example.org");
        const raw = prodWithDns({ zone: "example.org" });
        delete (raw.cluster as Record<string, unknown>).dns;
        const none = (await sharedRun(raw)).resources;
        assert.ok(
            !none.some((r) => r.type.startsWith("hcloud:index/zone") || r.type === "hcloud:index/rdns:Rdns" || r.name === "dns-provider"),
        );
    });

    it("records follow the hosts: a host dropped from the service leaves its sets, a leaving node loses its own name and reverse DNS", async () => {
        const after = (
            await sharedRun(
                prodWithDns({ zone: "example.org", manageZone: true, ttl: 120 }, (raw) => {
                    raw.services[0].hosts = ["w1"];
                    raw.nodes.find((n) => n.name === "w3")!.leaving = true;
                }),
            )
        ).resources;
        const sets = recordSets(after);
        assert.deepEqual(sets["dns-hello.example.org-AAAA"].values, ["2001:db8:20a:5d00::2"]);
        assert.equal(sets["dns-hello.example.org-A"], undefined, "no A set once no host of the service has IPv4");
        assert.equal(sets["dns-w3.example.org-AAAA"], undefined);
        assert.ok(!after.some((r) => r.name === "dns-rdns-w3-ipv6"));
        // Nothing else of the zone changes.
        assert.deepEqual(sets["dns-cp1.example.org-A"], recordSets(rs)["dns-cp1.example.org-A"]);
    });
});
