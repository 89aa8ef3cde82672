// Every file a NAT64 gateway and a host's DNS step write, and the commands that apply them, in the
// hosts' shape (path -> content and mode; installFilesCommand writes them atomically).
import type { PortConfig } from "../../config/types";
import { installFilesCommand } from "../../hosts/render/commands";
import type { HostFile, HostFiles } from "../../hosts/render/files";
import { OWNERS } from "../../hosts/render/owned";
import { APT_INSTALL_FUNCTION } from "../../hosts/render/scripts";
import { nat64Files, NAT64_PACKAGES } from "./files";
import { NAT64_UNIT_PATH } from "./nat64Up";
import { NAT64_TUN, Nat64Gateway, Nat64Pool, TAYGA_CONF_PATH } from "./tayga";
import {
    DHCLIENT_HOOK_PATH,
    DNS64_RESOLVER_CONF_PATH,
    LEGACY_DNS64_RESOLVER_CONF_PATH,
    DNS64_RESOLVER_PACKAGES,
    DNS64_RESOLVER_UNIT_PATH,
    Dns64ResolverInputs,
    RESOLV_CONF_BACKUP_PATH,
    RESOLV_CONF_PATH,
    renderDhclientHook,
    renderDns64ResolverConf,
    renderDns64ResolverUnit,
    renderHostResolvConf,
} from "./hostDns";
import {
    NAT64_INBOUND_DROPIN_PATH,
    NAT64_INBOUND_PATH,
    Nat64Inbound,
    renderNat64Inbound,
    renderNat64InboundDropin,
    renderTaygaConfWithInbound,
} from "./inbound";
import type { Gateway } from "../../addons/render/plan";
import type { Prefix } from "../../network/prefix";

const file = (content: string): HostFile => ({ content, mode: "0644" });
const script = (content: string): HostFile => ({ content, mode: "0755" });
const unitName = (path: string) => path.slice(path.lastIndexOf("/") + 1);

export interface GatewayInputs {
    readonly gateway: Nat64Gateway;
    readonly inbound: Nat64Inbound;
    readonly resolver: Dns64ResolverInputs;
    /** Tayga's IPv4 side (cluster.nat64Pool). */
    readonly pool: Nat64Pool;
}

/** What a gateway's files take from the config, beside its plan and its host's addresses (as in Nat64GatewayArgs). */
export interface GatewaySettings {
    /** IPv4 ports forwarded to the host's public IPv6 (addons/render/plan.ts inboundIpv4Ports). */
    readonly inboundPorts: readonly PortConfig[];
    /** cluster.ulaPrefix: the only clients the DNS64 resolver answers. */
    readonly clusterUla: Prefix;
    /** cluster.upstreamDns: where the DNS64 resolver forwards. */
    readonly upstreamDns: readonly string[];
    /** cluster.nat64Pool: Tayga's IPv4 side. */
    readonly pool: Nat64Pool;
}

/** A gateway's inputs from its plan, the settings and the host's public addresses. */
export function gatewayInputs(gw: Gateway, settings: GatewaySettings, publicIpv6: string, publicIpv4: string): GatewayInputs {
    return {
        gateway: { name: gw.name, nat64: gw.nat64 },
        inbound: { publicIpv4, publicIpv6, ports: settings.inboundPorts },
        resolver: { name: gw.name, listen: gw.meshAddress, clients: settings.clusterUla, nat64: gw.nat64, upstreams: settings.upstreamDns },
        pool: settings.pool,
    };
}

/** components/nat64's files (tayga.conf with the inbound map), the inbound DNAT, the DNS64 resolver. */
export function gatewayFiles(inputs: GatewayInputs): HostFiles {
    const pool = inputs.pool;
    const files = new Map<string, HostFile>(nat64Files(inputs.gateway, pool));
    files.set(TAYGA_CONF_PATH, file(renderTaygaConfWithInbound(inputs.gateway, inputs.inbound, pool)));
    files.set(NAT64_INBOUND_PATH, script(renderNat64Inbound(inputs.gateway, inputs.inbound, pool)));
    files.set(NAT64_INBOUND_DROPIN_PATH, file(renderNat64InboundDropin()));
    files.set(DNS64_RESOLVER_CONF_PATH, file(renderDns64ResolverConf(inputs.resolver)));
    files.set(DNS64_RESOLVER_UNIT_PATH, file(renderDns64ResolverUnit()));
    return new Map([...files.entries()].sort(([a], [b]) => a.localeCompare(b)));
}

/** The gateway's files step: writes them, and removes the ones it wrote before and no longer renders. */
export function gatewayFilesCommand(files: HostFiles): string {
    return installFilesCommand(files, OWNERS.nat64);
}

/**
 * The step on a host without IPv4 that undoes a gateway the host may have been: the gateway's own
 * list (the same owner as gatewayFilesCommand) with nothing rendered, so every file it wrote goes,
 * Tayga's and the resolver's units stopped and disabled first; then Tayga's persistent TUN, and its
 * routes with it. On a host that never was a gateway there is no list and no TUN: nothing happens.
 * Tayga's iptables rules (the pool's MASQUERADE, the inbound DNAT of the IPv4 address the host no
 * longer has) match no traffic any more and stay until the next boot.
 */
export function gatewayCleanupCommand(): string {
    return `${installFilesCommand(new Map(), OWNERS.nat64)}if ip link show ${NAT64_TUN} >/dev/null 2>&1; then
    echo "v6k8s: removing the NAT64 TUN ${NAT64_TUN} (this host is no NAT64 gateway any more)"
    ip link del ${NAT64_TUN}
fi
`;
}

const PACKAGES = [...NAT64_PACKAGES, ...DNS64_RESOLVER_PACKAGES];

/**
 * Installs Tayga and unbound if missing (Debian's own unbound service stays off: ours has its own
 * config and unit), then (re)starts the gateway and its resolver. Runs only when a file changed
 * (its trigger is their hash), so the restart is the point: Tayga and unbound read config at start.
 * When a unit does not come up it prints both units' last journal lines (unbound logs why it
 * stopped there, e.g. an AppArmor denial of its config file) and fails.
 */
export function gatewayActivateCommand(): string {
    const nat64 = unitName(NAT64_UNIT_PATH);
    const dns64 = unitName(DNS64_RESOLVER_UNIT_PATH);
    return `set -eu
${APT_INSTALL_FUNCTION}
apt_install ${PACKAGES.join(" ")}
systemctl disable --now unbound.service 2>/dev/null || true
rm -f ${LEGACY_DNS64_RESOLVER_CONF_PATH}
systemctl daemon-reload
systemctl enable ${nat64} ${dns64}
systemctl restart ${nat64}
systemctl restart ${dns64}
for _ in $(seq 30); do
    systemctl is-active --quiet ${nat64} && systemctl is-active --quiet ${dns64} && exit 0
    sleep 1
done
for u in ${nat64} ${dns64}; do
    echo "$u is $(systemctl is-active $u 2>/dev/null || true); its last journal lines:" >&2
    journalctl -u $u -n 50 --no-pager >&2 || true
done
exit 1
`;
}

/** resolv.conf (the original kept once) and the dhclient hook that stops it being rewritten. */
export function hostDnsFiles(nameservers: readonly string[]): HostFiles {
    return new Map([
        [DHCLIENT_HOOK_PATH, file(renderDhclientHook())],
        [RESOLV_CONF_PATH, file(renderHostResolvConf(nameservers))],
    ]);
}

export function hostDnsCommand(nameservers: readonly string[]): string {
    return `set -eu
[ -e ${RESOLV_CONF_BACKUP_PATH} ] || [ ! -e ${RESOLV_CONF_PATH} ] || cp -P ${RESOLV_CONF_PATH} ${RESOLV_CONF_BACKUP_PATH}
${installFilesCommand(hostDnsFiles(nameservers), OWNERS.hostDns)}`;
}
