import { strict as assert } from "assert";
import fc from "fast-check";
import { Prefix, formatV6 } from "../../components/network/prefix";
import {
    NodePlanInput,
    nat64Prefix,
    nodeGuaPrefix,
    nodeUlaPrefix,
    planCluster,
    planNode,
    planToJson,
    podPrefix,
    podRange,
    servicePrefix,
} from "../../components/network/plan";

const CLUSTER = Prefix.parse("fd8a:31c2:7c1f:1::/64");

describe("address plan rules (seed: Networking)", () => {
    it("services are <cluster>::/112 inside the reserved first /80", () => {
        const services = servicePrefix(CLUSTER);
        assert.equal(services.toString(), "fd8a:31c2:7c1f:1::/112");
        assert.ok(CLUSTER.subnet(80, 0).contains(services));
    });

    it("default CoreDNS address is <cluster>::a and the apiserver service is <cluster>::1", () => {
        const plan = planCluster(CLUSTER, undefined, []);
        assert.equal(formatV6(plan.cluster.dns), "fd8a:31c2:7c1f:1::a");
        assert.equal(formatV6(plan.cluster.apiserverService), "fd8a:31c2:7c1f:1::1");
    });

    const ulaTable: [number, string][] = [
        [1, "fd8a:31c2:7c1f:1:1::/80"],
        [11, "fd8a:31c2:7c1f:1:b::/80"],
        [0x64, "fd8a:31c2:7c1f:1:64::/80"],
        [65535, "fd8a:31c2:7c1f:1:ffff::/80"],
    ];
    for (const [index, expected] of ulaTable) {
        it(`node index ${index} gets ${expected} (fifth hextet = index)`, () => {
            assert.equal(nodeUlaPrefix(CLUSTER, index).toString(), expected);
        });
    }

    for (const bad of [0, 65536, 1.5, -3]) {
        it(`node index ${bad} is refused`, () => {
            assert.throws(() => nodeUlaPrefix(CLUSTER, bad), RangeError);
        });
    }

    const guaTable: [string, string, string][] = [
        ["2a01:4f8:10a:1f2e::/64", "2a01:4f8:10a:1f2e::/80", "2a01:4f8:10a:1f2e:0:1::/96"],
        ["2a01:4f8:10a:1f00::/56", "2a01:4f8:10a:1f00::/80", "2a01:4f8:10a:1f00:0:1::/96"],
        ["2001:db8:0:5:7::/80", "2001:db8:0:5:7::/80", "2001:db8:0:5:7:1::/96"],
    ];
    for (const [provider, gua80, pods] of guaTable) {
        it(`provider prefix ${provider} becomes ${gua80} with pods ${pods}`, () => {
            const gua = nodeGuaPrefix(Prefix.parse(provider));
            assert.equal(gua.toString(), gua80);
            assert.equal(podPrefix(gua).toString(), pods);
        });
    }

    it("refuses a provider prefix longer than /80", () => {
        assert.throws(() => nodeGuaPrefix(Prefix.parse("2001:db8::/96")), RangeError);
    });

    it("pods get <nodeula>:1::/96 with the host-local range ...:1::10 to ...:1:ffff:ffff", () => {
        const pods = podPrefix(nodeUlaPrefix(CLUSTER, 2));
        assert.equal(pods.toString(), "fd8a:31c2:7c1f:1:2:1::/96");
        const { start, end } = podRange(pods);
        assert.equal(formatV6(start), "fd8a:31c2:7c1f:1:2:1:0:10");
        assert.equal(formatV6(end), "fd8a:31c2:7c1f:1:2:1:ffff:ffff");
    });

    it("NAT64 is <nodeula>:64::/96 (sixth hextet 0x64) and holds the IPv4 space in its last 32 bits", () => {
        const nat = nat64Prefix(nodeUlaPrefix(CLUSTER, 1));
        assert.equal(nat.toString(), "fd8a:31c2:7c1f:1:1:64::/96");
        assert.equal(formatV6(nat.address(0xcb00710a)), "fd8a:31c2:7c1f:1:1:64:cb00:710a");
    });

    it("the WireGuard address is the first host of the node ULA", () => {
        const node = planNode(CLUSTER, { name: "a", index: 3, roles: ["worker"], gua: null, ipv4: false });
        assert.equal(formatV6(node.wireguard), "fd8a:31c2:7c1f:1:3::1");
        assert.ok(node.ula.containsAddress(node.wireguard));
        assert.ok(!node.podUla.containsAddress(node.wireguard));
    });

    it("a node without IPv4 has no NAT64 prefix; an hcloud node has no GUA yet", () => {
        const json = planToJson(planCluster(CLUSTER, undefined, [{ name: "a", index: 1, roles: ["worker"], gua: null, ipv4: false }]));
        assert.deepEqual(json.nodes[0], {
            name: "a",
            index: 1,
            roles: ["worker"],
            ula: "fd8a:31c2:7c1f:1:1::/80",
            wireguard: "fd8a:31c2:7c1f:1:1::1",
            podUla: "fd8a:31c2:7c1f:1:1:1::/96",
            gua: null,
            podGua: null,
            nat64: null,
        });
    });
});

/** Random sets of nodes with distinct indexes and distinct, non-overlapping /64 GUAs. */
const nodesArb = fc
    .uniqueArray(fc.integer({ min: 1, max: 65535 }), { minLength: 1, maxLength: 40 })
    .chain((indexes) =>
        fc.tuple(
            fc.constant(indexes),
            fc.uniqueArray(fc.bigInt({ min: 0n, max: (1n << 32n) - 1n }), { minLength: indexes.length, maxLength: indexes.length }),
            fc.array(fc.boolean(), { minLength: indexes.length, maxLength: indexes.length }),
            fc.array(fc.boolean(), { minLength: indexes.length, maxLength: indexes.length }),
        ),
    )
    .map(([indexes, guaIds, ipv4s, isHcloud]) =>
        indexes.map((index, i): NodePlanInput => ({
            name: `n${index}`,
            index,
            roles: ["worker"],
            // Distinct /64s inside 2001:db8::/32.
            gua: isHcloud[i] ? null : Prefix.parse("2001:db8::/32").subnet(64, guaIds[i]),
            ipv4: ipv4s[i],
        })),
    );

const present = (ps: (Prefix | null)[]): Prefix[] => ps.filter((p): p is Prefix => p !== null);

function pairwiseDisjoint(prefixes: Prefix[]): boolean {
    for (let i = 0; i < prefixes.length; i++) {
        for (let j = i + 1; j < prefixes.length; j++) if (prefixes[i].overlaps(prefixes[j])) return false;
    }
    return true;
}

describe("address plan properties", () => {
    it("no two allocated prefixes overlap; each /96 lies in its own node's /80", () => {
        fc.assert(
            fc.property(nodesArb, (nodes) => {
                const plan = planCluster(CLUSTER, undefined, nodes);
                // Leaves: what is actually routed somewhere (services, pod and NAT64 /96s).
                const leaves = [plan.cluster.services, ...plan.nodes.flatMap((n) => present([n.podUla, n.podGua, n.nat64]))];
                // Node /80s, plus the services /80 the first index reserves.
                const node80s = [CLUSTER.subnet(80, 0), ...plan.nodes.flatMap((n) => present([n.ula, n.gua]))];
                if (!pairwiseDisjoint(leaves) || !pairwiseDisjoint(node80s)) return false;
                return plan.nodes.every(
                    (n) =>
                        CLUSTER.contains(n.ula) &&
                        n.ula.contains(n.podUla) &&
                        (n.nat64 === null || n.ula.contains(n.nat64)) &&
                        (n.gua === null || (n.podGua !== null && n.gua.contains(n.podGua))),
                );
            }),
            { numRuns: 200 },
        );
    });

    it("adding a node never changes another node's addresses", () => {
        fc.assert(
            fc.property(nodesArb, fc.integer({ min: 0, max: 1000 }), (nodes, pick) => {
                const added = nodes[pick % nodes.length];
                const others = nodes.filter((n) => n !== added);
                const before = planToJson(planCluster(CLUSTER, undefined, others));
                const after = planToJson(
                    planCluster(CLUSTER, undefined, [
                        ...others.slice(0, pick % (others.length + 1)),
                        added,
                        ...others.slice(pick % (others.length + 1)),
                    ]),
                );
                for (const node of before.nodes) {
                    assert.deepEqual(
                        after.nodes.find((n) => n.name === node.name),
                        node,
                    );
                }
                assert.deepEqual(after.cluster, before.cluster);
            }),
            { numRuns: 200 },
        );
    });

    it("every address is printed in RFC 5952 form (lower case, longest zero run compressed)", () => {
        fc.assert(
            fc.property(nodesArb, (nodes) => {
                const json = planToJson(planCluster(CLUSTER, undefined, nodes));
                for (const n of json.nodes) {
                    for (const text of [n.ula, n.wireguard, n.podUla, n.gua, n.podGua, n.nat64]) {
                        if (text === null) continue;
                        const addr = text.split("/")[0];
                        assert.equal(addr, addr.toLowerCase());
                        assert.equal(formatV6(Prefix.parse(`${addr}/128`).network), addr);
                        assert.ok(!/(^|:)0[0-9a-f]/.test(addr), `leading zero in ${addr}`);
                    }
                }
            }),
            { numRuns: 100 },
        );
    });
});
