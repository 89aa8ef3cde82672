// The NAT64 address of an IPv4 address: the gateway's /96 with the IPv4 address in its last 32 bits.
import * as ipaddr from "ipaddr.js";
import { Prefix, formatV6 } from "../../components/network/prefix";

export function nat64Address(prefix: string, ipv4: string): string {
    const p = Prefix.parse(prefix);
    if (p.length !== 96) throw new RangeError(`${prefix} is not a /96`);
    const v4 = ipaddr.IPv4.parse(ipv4).toByteArray().reduce((acc, b) => (acc << 8n) | BigInt(b), 0n);
    return formatV6(p.network + v4);
}
