// Brings the NAT64 gateway's plumbing up around Tayga: the TUN, the routes into it, the MASQUERADE.
// Converges: safe to run any number of times, changes nothing when the host is already there.
import { NAT64_TUN, Nat64Gateway, Nat64Pool, DEFAULT_NAT64_POOL, TAYGA_CONF_PATH, TAYGA_DATA_DIR, checkNat64 } from "./tayga";

export const NAT64_UP_PATH = "/usr/local/lib/v6k8s/nat64-up.sh";
export const NAT64_UNIT_PATH = "/etc/systemd/system/v6k8s-nat64.service";
/** The iptables comment that marks our MASQUERADE rule. */
export const MASQUERADE_COMMENT = "v6k8s nat64 pool";

export function renderNat64Up(gateway: Nat64Gateway, pool: Nat64Pool = DEFAULT_NAT64_POOL): string {
    checkNat64(gateway, pool);
    const prefix = gateway.nat64.toString();
    const rule = `POSTROUTING -s ${pool.dynamicPool} -o "$uplink" -m comment --comment "${MASQUERADE_COMMENT}" -j MASQUERADE`;
    return `#!/bin/bash
# Rendered by v6k8s. NAT64 gateway of ${gateway.name}: Tayga's TUN, routes and masquerade.
# Tayga itself runs from v6k8s-nat64.service. Inbound IPv4 is not mapped yet (issue 6).
set -euo pipefail
if [ "$(sysctl -n net.ipv4.ip_forward)" != 1 ] || [ "$(sysctl -n net.ipv6.conf.all.forwarding)" != 1 ]; then
    echo "nat64-up: IPv4 and IPv6 forwarding must be on (the host's sysctl.d file sets them)" >&2
    exit 1
fi
mkdir -p ${TAYGA_DATA_DIR}
# A persistent TUN, so the routes can point at it before Tayga runs and survive its restarts.
ip link show ${NAT64_TUN} >/dev/null 2>&1 || tayga --mktun --config ${TAYGA_CONF_PATH}
ip link set ${NAT64_TUN} up
ip -6 route replace ${prefix} dev ${NAT64_TUN}
ip -4 route replace ${pool.dynamicPool} dev ${NAT64_TUN}
# The pool leaves through the uplink, the interface of the IPv4 default route.
uplink=$(ip -4 route show default | awk '{ for (i = 1; i < NF; i++) if ($i == "dev") { print $(i + 1); exit } }')
if [ -z "$uplink" ]; then
    echo "nat64-up: no IPv4 default route, so no uplink to masquerade the pool out of" >&2
    exit 1
fi
iptables -t nat -C ${rule} 2>/dev/null || iptables -t nat -A ${rule}
`;
}

/** Runs the translator after its plumbing; replaces the Debian package's own tayga init script. */
export function renderNat64Unit(): string {
    return `# Rendered by v6k8s: the NAT64 gateway (Tayga). The tayga package's own init script stays disabled.
[Unit]
Description=v6k8s NAT64 gateway (Tayga)
After=network-online.target v6k8s-network.service
Wants=network-online.target

[Service]
ExecStartPre=${NAT64_UP_PATH}
ExecStart=/usr/sbin/tayga --nodetach --config ${TAYGA_CONF_PATH}
Restart=on-failure

[Install]
WantedBy=multi-user.target
`;
}
