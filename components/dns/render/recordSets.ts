// The record sets the program keeps in a Hetzner DNS zone (cluster.dns): for each public service's
// dnsName one AAAA set (every host of the service) and, where any of them has IPv4, one A set (its
// NAT64 gateway forwards the service's ports), the design's client-side load balancing; and for
// every node `<node>.<zone>` AAAA (and A), the name an hcloud server's reverse DNS points to.
// Planned from the config alone, so every resource is declared before any address is known; the
// values follow the hosts' addresses (recordValues), so a host joining or leaving a service
// changes its sets in the same run.
import * as ipaddr from "ipaddr.js";
import { canonicalName, nodeName, relativeName } from "../../common/names";
import { v6 } from "../../common/net";

export type RecordType = "AAAA" | "A";

export interface PlannedRecordSet {
    /** The Pulumi resource name: `dns-<fqdn>-<type>`, stable while the name and type are. */
    readonly id: string;
    readonly fqdn: string;
    /** Relative to the zone, "@" for the apex, as the Hetzner API names record sets. */
    readonly name: string;
    readonly type: RecordType;
    /** The nodes whose addresses it lists, in this order. */
    readonly hosts: readonly string[];
    /** The index of the service it publishes, or null for a node's own name. */
    readonly service: number | null;
}

/** A node as the plan needs it: its name and whether it has a public IPv4 address. */
export interface RecordNode {
    readonly name: string;
    readonly ipv4: boolean;
}

/** A public service as the plan needs it. */
export interface RecordService {
    readonly dnsName?: string;
    readonly hosts: readonly string[];
}

/**
 * The sets, services first (in config order), then the nodes'. Throws a RangeError for a name
 * outside the zone or a name two sources claim (config validation refuses both first).
 */
export function plannedRecordSets(zone: string, services: readonly RecordService[], nodes: readonly RecordNode[]): PlannedRecordSet[] {
    const ipv4 = new Map(nodes.map((n) => [n.name, n.ipv4]));
    const sets: PlannedRecordSet[] = [];
    const claimed = new Set<string>();
    const add = (fqdn: string, hosts: readonly string[], service: number | null) => {
        const name = relativeName(fqdn, zone);
        if (name === null) throw new RangeError(`DNS records: ${fqdn} is not in the zone ${zone}`);
        if (claimed.has(fqdn)) throw new RangeError(`DNS records: ${fqdn} is claimed twice`);
        claimed.add(fqdn);
        sets.push({ id: `dns-${fqdn}-AAAA`, fqdn, name, type: "AAAA", hosts, service });
        const withIpv4 = hosts.filter((h) => ipv4.get(h) === true);
        if (withIpv4.length > 0) sets.push({ id: `dns-${fqdn}-A`, fqdn, name, type: "A", hosts: withIpv4, service });
    };
    services.forEach((s, i) => {
        if (s.dnsName !== undefined) add(canonicalName(s.dnsName), s.hosts, i);
    });
    for (const n of nodes) add(nodeName(n.name, zone), [n.name], null);
    return sets;
}

/** A host's public addresses: IPv6 always, IPv4 or null. */
export interface HostAddresses {
    readonly ipv6: string;
    readonly ipv4: string | null;
}

/** The set's records: one per host, RFC 5952 for AAAA, each commented with its node. */
export function recordValues(set: PlannedRecordSet, addresses: ReadonlyMap<string, HostAddresses>): { value: string; comment: string }[] {
    return set.hosts.map((h) => {
        const a = addresses.get(h);
        if (!a) throw new RangeError(`DNS records: no addresses for ${h}`);
        if (set.type === "AAAA") return { value: v6(a.ipv6, `${h} ipv6`), comment: h };
        if (a.ipv4 === null || !ipaddr.IPv4.isValidFourPartDecimal(a.ipv4)) throw new RangeError(`DNS records: ${h} has no IPv4 address`);
        return { value: a.ipv4, comment: h };
    });
}
