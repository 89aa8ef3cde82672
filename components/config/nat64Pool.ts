// Tayga's IPv4 pool rules, in one place: the config validates cluster.nat64Pool with them (naming
// the key at fault), and the NAT64 renderer checks what it is handed with them again (tests and
// the lab call it directly).
import * as ipaddr from "ipaddr.js";
import type { Nat64Pool } from "./types";

export interface PoolProblem {
    readonly key: "ipv4Address" | "dynamicPool";
    readonly message: string;
}

/** What is wrong with a pool (empty: usable): an IPv4 network of /30 or shorter holding Tayga's dotted-quad address. */
export function nat64PoolProblems(pool: Nat64Pool): PoolProblem[] {
    const problems: PoolProblem[] = [];
    let net: [ipaddr.IPv4, number] | undefined;
    try {
        const [addr, bits] = ipaddr.parseCIDR(pool.dynamicPool);
        const isNetwork = addr.kind() === "ipv4" && addr.toString() === ipaddr.IPv4.networkAddressFromCIDR(pool.dynamicPool).toString();
        if (isNetwork && bits <= 30) net = [addr as ipaddr.IPv4, bits];
    } catch {
        net = undefined;
    }
    if (!net) {
        problems.push({
            key: "dynamicPool",
            message: `"${pool.dynamicPool}" is not an IPv4 prefix of /30 or shorter like 192.168.255.0/24`,
        });
    }
    if (!ipaddr.IPv4.isValidFourPartDecimal(pool.ipv4Address)) {
        problems.push({ key: "ipv4Address", message: "must be a dotted-quad IPv4 address" });
    } else if (net && !ipaddr.IPv4.parse(pool.ipv4Address).match(net)) {
        problems.push({ key: "ipv4Address", message: `${pool.ipv4Address} is outside the dynamic pool ${pool.dynamicPool}` });
    }
    return problems;
}
