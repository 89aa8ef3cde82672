// Inbound IPv4 on a NAT64 gateway, as the design has it: IPv4 traffic to the host is mapped to the
// host's IPv6 address, which serves it itself (host-network listeners) or hands it to a public
// service (kube-proxy's externalIP rules match the host's IPv6 address).
//
//   client a.b.c.d -> <public v4>:port  --DNAT-->  <map v4>:port  --route-->  Tayga (nat64 TUN)
//   Tayga: destination <map v4> -> <public v6> (static `map`), source a.b.c.d -> <nat64 /96>::a.b.c.d
//   replies go back the same way (routes to the /96 point into the TUN; conntrack undoes the DNAT).
//
// The map address is one of the dynamic pool's (Tayga takes it out of the pool), so the pool route
// nat64-up.sh already installs carries it. Only the listed ports are forwarded: nothing else of
// the host's IPv4 changes (SSH over IPv4, the masquerade of outbound translations).
import * as ipaddr from "ipaddr.js";
import type { PortConfig } from "../../config/types";
import { v6 } from "../../common/net";
import { NAT64_UNIT_PATH } from "./nat64Up";
import { DEFAULT_NAT64_POOL, Nat64Gateway, Nat64Pool, renderTaygaConf } from "./tayga";

export const NAT64_INBOUND_PATH = "/usr/local/lib/v6k8s/nat64-inbound.sh";
/** A drop-in of the gateway unit: the DNAT comes back with the gateway at boot. */
export const NAT64_INBOUND_DROPIN_PATH = `${NAT64_UNIT_PATH}.d/inbound.conf`;
/** Our nat-table chain; PREROUTING jumps to it. Replaced as a whole on every run. */
export const INBOUND_CHAIN = "V6K8S-NAT64-IN";

export interface Nat64Inbound {
    /** The host's public IPv4: what clients connect to. */
    readonly publicIpv4: string;
    /** The host's public IPv6: what the connections become. */
    readonly publicIpv6: string;
    readonly ports: readonly PortConfig[];
}

function v4(addr: string, what: string): string {
    if (!ipaddr.IPv4.isValidFourPartDecimal(addr)) throw new RangeError(`${what}: "${addr}" is not an IPv4 address`);
    return addr;
}

/** The IPv4 address Tayga maps to the host's IPv6: the pool's first address that is not Tayga's own. */
export function inboundMapAddress(pool: Nat64Pool = DEFAULT_NAT64_POOL): string {
    const [net, len] = ipaddr.parseCIDR(pool.dynamicPool);
    if (net.kind() !== "ipv4" || len > 30) throw new RangeError(`dynamic pool "${pool.dynamicPool}" must be an IPv4 /30 or shorter`);
    const base = (net as ipaddr.IPv4).toByteArray().reduce((a, b) => a * 256 + b, 0);
    const at = (o: number) => ipaddr.fromByteArray([24, 16, 8, 0].map((s) => Math.floor((base + o) / 2 ** s) % 256)).toString();
    return at(1) === pool.ipv4Address ? at(2) : at(1);
}

/** tayga.conf of components/nat64, plus the static map that inbound IPv4 needs (only when ports are forwarded). */
export function renderTaygaConfWithInbound(gateway: Nat64Gateway, inbound: Nat64Inbound, pool: Nat64Pool = DEFAULT_NAT64_POOL): string {
    const base = renderTaygaConf(gateway, pool);
    if (inbound.ports.length === 0) return base;
    return `${base}# Inbound IPv4 (rendered by v6k8s addons): ${inboundMapAddress(pool)} stands for this host's public IPv6;
# nat64-inbound.sh DNATs the forwarded ports of ${v4(inbound.publicIpv4, "publicIpv4")} to it.
map ${inboundMapAddress(pool)} ${v6(inbound.publicIpv6, "publicIpv6")}
`;
}

/** Replaces the DNAT chain atomically (iptables-restore --noflush flushes only the chains it names). */
export function renderNat64Inbound(gateway: Nat64Gateway, inbound: Nat64Inbound, pool: Nat64Pool = DEFAULT_NAT64_POOL): string {
    const pub = v4(inbound.publicIpv4, "publicIpv4");
    const to = inboundMapAddress(pool);
    const rules = inbound.ports.map((p) => {
        const proto = p.protocol.toLowerCase();
        return `-A ${INBOUND_CHAIN} -d ${pub}/32 -p ${proto} -m ${proto} --dport ${p.port} -j DNAT --to-destination ${to}`;
    });
    const list = inbound.ports.map((p) => `${p.protocol.toLowerCase()}/${p.port}`).join(" ") || "none";
    return `#!/bin/bash
# Rendered by v6k8s. Inbound IPv4 on ${gateway.name}: ${pub} (${list}) -> Tayga's map ${to} -> ${v6(inbound.publicIpv6, "publicIpv6")}.
set -euo pipefail
iptables-restore --noflush <<'RULES'
*nat
:${INBOUND_CHAIN} - [0:0]
${rules.map((r) => `${r}\n`).join("")}COMMIT
RULES
iptables -t nat -C PREROUTING -j ${INBOUND_CHAIN} 2>/dev/null || iptables -t nat -I PREROUTING -j ${INBOUND_CHAIN}
`;
}

export function renderNat64InboundDropin(): string {
    return `# Rendered by v6k8s: inbound IPv4 forwarding comes up with the NAT64 gateway.
[Service]
ExecStartPost=${NAT64_INBOUND_PATH}
`;
}
