// The DNS records that publish a public service: one AAAA per public host (its IPv6 address, an
// externalIP of the service) and one A per public host with IPv4 (its NAT64 gateway forwards the
// service's ports to that IPv6 address). Clients pick among them: client-side load balancing.
import * as ipaddr from "ipaddr.js";
import { v6 } from "../../common/net";

export const DEFAULT_RECORD_TTL = 300;

export interface PublicHost {
    readonly name: string;
    readonly ipv6: string;
    /** Its public IPv4, or null. */
    readonly ipv4: string | null;
}

export interface DnsRecord {
    readonly type: "AAAA" | "A";
    readonly value: string;
    /** The node the address belongs to. */
    readonly host: string;
}

export interface ServiceRecords {
    /** `<namespace>/<name>`. */
    readonly service: string;
    /** The name to publish them under, or null when the config names none. */
    readonly dnsName: string | null;
    readonly records: DnsRecord[];
    /** Zone-file lines (only when dnsName is set), e.g. `www.example.org. 300 IN AAAA 2001:db8::2`. */
    readonly zone: string[];
}

export function serviceRecords(
    service: string,
    dnsName: string | null,
    hosts: readonly PublicHost[],
    ttl = DEFAULT_RECORD_TTL,
): ServiceRecords {
    const records: DnsRecord[] = [
        ...hosts.map((h) => ({ type: "AAAA" as const, value: v6(h.ipv6, `${h.name} ipv6`), host: h.name })),
        ...hosts.flatMap((h) => {
            if (h.ipv4 === null) return [];
            if (!ipaddr.IPv4.isValidFourPartDecimal(h.ipv4)) throw new RangeError(`${h.name} ipv4: "${h.ipv4}" is not an IPv4 address`);
            return [{ type: "A" as const, value: h.ipv4, host: h.name }];
        }),
    ];
    const fqdn = dnsName === null ? null : dnsName.endsWith(".") ? dnsName : `${dnsName}.`;
    return {
        service,
        dnsName,
        records,
        zone: fqdn === null ? [] : records.map((r) => `${fqdn} ${ttl} IN ${r.type} ${r.value}`),
    };
}
