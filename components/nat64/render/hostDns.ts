// DNS for the hosts themselves. Hosts need DNS64 from their first image pull on (the node-local
// apiserver proxy's image lives on Docker Hub, which is IPv4-only), long before CoreDNS can run:
// so every NAT64 gateway also runs a small DNS64 resolver (unbound, from Debian) on its mesh
// address, synthesising into its own /96, and every host's resolv.conf lists those resolvers
// first and an upstream resolver last. The resolver is bound to its gateway's Tayga unit: when
// the translator stops, the resolver stops too, and hosts move on to the next gateway's.
import { v6 } from "../../common/net";
import { NAT64_UNIT_PATH } from "./nat64Up";
import { Prefix } from "../../network/prefix";
import { DNS_PORT } from "../../addons/render/defaults";

export const RESOLV_CONF_PATH = "/etc/resolv.conf";
/** The host's resolv.conf as it was before the program first replaced it (kept once, for rollback). */
export const RESOLV_CONF_BACKUP_PATH = "/etc/resolv.conf.v6k8s-orig";
/** dhclient (IPv4 on hcloud servers) would rewrite resolv.conf on every lease renewal. */
export const DHCLIENT_HOOK_PATH = "/etc/dhcp/dhclient-enter-hooks.d/v6k8s-keep-resolv-conf";
/**
 * Under /etc/unbound/ because Debian 12's enforcing AppArmor profile for /usr/sbin/unbound lets it
 * read only /etc/unbound/** (elsewhere it does not start). Not in unbound.conf.d/: Debian's own
 * unbound.conf includes that directory, and its unbound.service (kept off) must not load ours.
 */
export const DNS64_RESOLVER_CONF_PATH = "/etc/unbound/v6k8s-dns64.conf";
/** Where releases before the AppArmor fix wrote it; the activate step removes it. */
export const LEGACY_DNS64_RESOLVER_CONF_PATH = "/etc/v6k8s/dns64-resolver.conf";
export const DNS64_RESOLVER_UNIT_PATH = "/etc/systemd/system/v6k8s-dns64.service";
/** Debian package of the resolver. */
export const DNS64_RESOLVER_PACKAGES = ["unbound"] as const;

/** How long a host waits for one nameserver before the next (glibc `options timeout:1 attempts:2`). */
export const RESOLVER_TIMEOUT_SECONDS = 1;

export function renderHostResolvConf(nameservers: readonly string[]): string {
    if (nameservers.length === 0 || nameservers.length > 3) {
        throw new RangeError(`resolv.conf takes 1 to 3 nameservers, got ${nameservers.length}`);
    }
    return [
        "# Rendered by v6k8s. The NAT64 gateways' DNS64 resolvers come first (IPv4-only names resolve to",
        "# <gateway ula>:64::<ipv4>, reachable over the mesh), an upstream resolver last (no DNS64).",
        ...nameservers.map((n) => `nameserver ${v6(n, "nameserver")}`),
        `options timeout:${RESOLVER_TIMEOUT_SECONDS} attempts:2`,
        "",
    ].join("\n");
}

export function renderDhclientHook(): string {
    return `# Rendered by v6k8s: keep /etc/resolv.conf as v6k8s wrote it (sourced by dhclient-script).
make_resolv_conf() { :; }
`;
}

export interface Dns64ResolverInputs {
    /** The gateway's name, for comments. */
    readonly name: string;
    /** Its mesh address: the resolver listens here only. */
    readonly listen: string;
    /** The cluster /64: mesh addresses and pods may ask. */
    readonly clients: Prefix;
    /** The gateway's NAT64 /96. */
    readonly nat64: Prefix;
    /** IPv6 resolvers to forward to. */
    readonly upstreams: readonly string[];
}

/** unbound's own config file (not Debian's /etc/unbound/unbound.conf): DNS64 in front of the upstreams. */
export function renderDns64ResolverConf(inputs: Dns64ResolverInputs): string {
    const listen = v6(inputs.listen, "resolver address");
    const nat64 = inputs.nat64;
    if (nat64.length !== 96) throw new RangeError(`dns64 prefix must be a /96, got ${nat64}`);
    const clients = inputs.clients;
    if (inputs.upstreams.length === 0) throw new RangeError("at least one upstream resolver is required");
    return `# Rendered by v6k8s: the hosts' DNS64 resolver on ${inputs.name}. Names with only A records get a
# synthetic AAAA in ${nat64} (this host's Tayga); real AAAA records pass untouched.
server:
    interface: ${listen}
    port: ${DNS_PORT}
    # Start even before wg0 carries the address (boot order); it answers once it does.
    ip-freebind: yes
    do-ip4: no
    do-ip6: yes
    access-control: ::/0 refuse
    access-control: ::1/128 allow
    access-control: ${clients} allow
    chroot: ""
    username: "unbound"
    directory: "/etc/unbound"
    use-syslog: no
    logfile: ""
    hide-identity: yes
    hide-version: yes
    # No DNSSEC validation: the upstreams validate, and CoreDNS does not either.
    module-config: "dns64 iterator"
    dns64-prefix: ${nat64}
forward-zone:
    name: "."
${inputs.upstreams.map((u) => `    forward-addr: ${v6(u, "upstream resolver")}`).join("\n")}
`;
}

export function renderDns64ResolverUnit(): string {
    const nat64Unit = NAT64_UNIT_PATH.slice(NAT64_UNIT_PATH.lastIndexOf("/") + 1);
    return `# Rendered by v6k8s: the hosts' DNS64 resolver. Bound to the NAT64 gateway: it runs exactly while
# the translator does, so hosts never get addresses of a dead gateway from it.
[Unit]
Description=v6k8s DNS64 resolver for the hosts (unbound)
BindsTo=${nat64Unit}
After=${nat64Unit}

[Service]
ExecStart=/usr/sbin/unbound -d -p -c ${DNS64_RESOLVER_CONF_PATH}
Restart=on-failure
RestartSec=2

[Install]
WantedBy=multi-user.target ${nat64Unit}
`;
}
