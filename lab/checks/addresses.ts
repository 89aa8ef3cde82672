// Address facts the checks compare with: whether an address is in a prefix, an IPv4 address as a
// number, and the NAT64 address of an IPv4 address (the gateway's /96 with it in its last 32 bits).
import * as ipaddr from "ipaddr.js";
import { Prefix, formatV6, parseV6Address } from "../../components/network/prefix";

/** Is the IPv6 address (a bare address or `addr/len`, as CNI reports it) inside the prefix? */
export function inPrefix(address: string, prefix: string): boolean {
    return Prefix.parse(prefix).containsAddress(parseV6Address(address.split("/")[0]));
}

export function ipv4Value(ipv4: string): bigint {
    return ipaddr.IPv4.parse(ipv4)
        .toByteArray()
        .reduce((acc, b) => (acc << 8n) | BigInt(b), 0n);
}

export function nat64Address(prefix: string, ipv4: string): string {
    const p = Prefix.parse(prefix);
    if (p.length !== 96) throw new RangeError(`${prefix} is not a /96`);
    return formatV6(p.network + ipv4Value(ipv4));
}
