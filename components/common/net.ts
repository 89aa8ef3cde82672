// IPv6 literals in URLs and host:port strings. Every address that reaches a rendered file goes
// through here: parsed by ipaddr.js (a typo or an IPv4 address is a RangeError naming the field),
// printed in RFC 5952 form and always bracketed next to a port.
import * as ipaddr from "ipaddr.js";

/** The loopback address every node-local endpoint binds to (the cluster is IPv6-only). */
export const LOOPBACK = "::1";

/** `addr` in RFC 5952 form; throws a RangeError naming `what` unless it is a plain IPv6 address. */
export function v6(addr: string, what: string): string {
    if (!ipaddr.IPv6.isValid(addr) || addr.includes("%") || addr.includes("/")) {
        throw new RangeError(`${what}: "${addr}" is not an IPv6 address`);
    }
    return ipaddr.IPv6.parse(addr).toRFC5952String();
}

export function port(value: number, what: string): number {
    if (!Number.isInteger(value) || value < 1 || value > 65535) {
        throw new RangeError(`${what}: ${value} is not a TCP port (1..65535)`);
    }
    return value;
}

/** `[addr]:port`, the only way an IPv6 address meets a port in this project. */
export function hostPort(addr: string, p: number, what = "address"): string {
    return `[${v6(addr, what)}]:${port(p, what)}`;
}

export function httpsUrl(addr: string, p: number, what = "address"): string {
    return `https://${hostPort(addr, p, what)}`;
}

export function httpUrl(addr: string, p: number, what = "address"): string {
    return `http://${hostPort(addr, p, what)}`;
}
