// Tayga, the NAT64 gateway of a host with IPv4: it translates `<nodeula>:64::/96` to IPv4 and back.
// The translated sources come from a dynamic pool that the host masquerades out of its uplink
// (nat64Up.ts). Inbound IPv4 is a DNAT to one static `map` address that Tayga turns into the
// host's public IPv6 (inbound.ts).
import { nat64PoolProblems } from "../../config/nat64Pool";
import { DEFAULT_NAT64_POOL, type Nat64Pool } from "../../config/types";
import { Prefix } from "../../network/prefix";
import { NAT64_TUN } from "../../hosts/render/hostNet";

export { NAT64_TUN };

export const TAYGA_CONF_PATH = "/etc/v6k8s/tayga.conf";
/** Where Tayga keeps its dynamic pool mappings across restarts. */
export const TAYGA_DATA_DIR = "/var/lib/tayga";
const NAT64_PREFIX_LENGTH = 96;

// The pool's type and default live with the config (cluster.nat64Pool), which sets them.
export { DEFAULT_NAT64_POOL, type Nat64Pool } from "../../config/types";

/** A host that runs the gateway: its name and its NAT64 /96 from the address plan. */
export interface Nat64Gateway {
    readonly name: string;
    readonly nat64: Prefix;
}

/** The gateway of a host from the address plan (a NodePlan fits), or null without IPv4. */
export function nat64Gateway(host: { readonly name: string; readonly nat64: Prefix | null }): Nat64Gateway | null {
    return host.nat64 === null ? null : { name: host.name, nat64: host.nat64 };
}

/** Throws RangeError when the prefix is not an IPv6 /96 or the pool is not an IPv4 prefix holding the address. */
export function checkNat64(gateway: Nat64Gateway, pool: Nat64Pool): void {
    const prefix = gateway.nat64;
    if (prefix.length !== NAT64_PREFIX_LENGTH) {
        throw new RangeError(`NAT64 prefix of ${gateway.name} must be a /96, got ${prefix}`);
    }
    const problems = nat64PoolProblems(pool);
    if (problems.length > 0) throw new RangeError(`NAT64 pool: ${problems.map((p) => `${p.key}: ${p.message}`).join("; ")}`);
}

export function renderTaygaConf(gateway: Nat64Gateway, pool: Nat64Pool = DEFAULT_NAT64_POOL): string {
    checkNat64(gateway, pool);
    return [
        `# Tayga NAT64 of ${gateway.name}, rendered by v6k8s. Outbound only: IPv6 sources get an address`,
        `# of the dynamic pool, which nat64-up.sh masquerades out of the uplink. Inbound IPv4 -> host`,
        "# IPv6 (`map` lines) is not rendered yet (issue 6).",
        `tun-device ${NAT64_TUN}`,
        `ipv4-addr ${pool.ipv4Address}`,
        `prefix ${gateway.nat64.toString()}`,
        `dynamic-pool ${pool.dynamicPool}`,
        `data-dir ${TAYGA_DATA_DIR}`,
        "",
    ].join("\n");
}
