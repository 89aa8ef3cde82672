// The lab's "internet": the provider's router and network (one bridge all hosts' uplinks plug
// into), an IPv6 internet and an IPv4 internet, each a network namespace. Links are created inside
// the namespaces (never in the root one). Hosts get what the provider and the OS installer give a
// Robot server: the /64's main address on the uplink, gateway fe80::1, the IPv4 address if any.
import {
    INET4_LENGTH,
    INET4_NS,
    INET4_ROUTER,
    INET4_SERVER,
    INET6_DNS,
    INET6_LENGTH,
    INET6_NS,
    INET6_ROUTER,
    INET6_SERVER,
    PROVIDER_BRIDGE,
    PROVIDER_GATEWAY_LL,
    PROVIDER_ROUTER_MAC,
    PROVIDER_NS,
    PROVIDER_V4_GATEWAY,
    PROVIDER_V4_LENGTH,
    UPLINK,
} from "./config";
import { addNetns } from "./netns";
import { run, runSync } from "./run";
import type { LabHost } from "./state";

const INFRA_NAMESPACES = [PROVIDER_NS, INET6_NS, INET4_NS];

async function ipIn(ns: string, ...args: string[]): Promise<void> {
    await run(["ip", "-n", ns, ...args]);
}

async function sysctlIn(ns: string, ...settings: string[]): Promise<void> {
    await run(["ip", "netns", "exec", ns, "sysctl", "-q", "-w", ...settings]);
}

export async function buildInternet(): Promise<void> {
    await Promise.all(INFRA_NAMESPACES.map(addNetns));
    const p = PROVIDER_NS;
    await sysctlIn(p, "net.ipv6.conf.all.forwarding=1", "net.ipv4.ip_forward=1");
    // A fixed MAC: a bridge otherwise takes its lowest port's, and changes it when that port goes
    // (a host powered off), leaving every host's neighbour entry for fe80::1 stale for ~30 s.
    await ipIn(p, "link", "add", PROVIDER_BRIDGE, "address", PROVIDER_ROUTER_MAC, "type", "bridge");
    await ipIn(p, "link", "set", PROVIDER_BRIDGE, "up");
    await ipIn(p, "-6", "addr", "add", `${PROVIDER_GATEWAY_LL}/64`, "dev", PROVIDER_BRIDGE, "nodad");
    await ipIn(p, "-4", "addr", "add", `${PROVIDER_V4_GATEWAY}/${PROVIDER_V4_LENGTH}`, "dev", PROVIDER_BRIDGE);

    // IPv6 internet: a web server and the upstream DNS server behind the provider's router.
    await ipIn(p, "link", "add", "to-inet6", "type", "veth", "peer", "name", UPLINK, "netns", INET6_NS);
    await ipIn(p, "link", "set", "to-inet6", "up");
    await ipIn(p, "-6", "addr", "add", `${INET6_ROUTER}/${INET6_LENGTH}`, "dev", "to-inet6", "nodad");
    await ipIn(INET6_NS, "link", "set", UPLINK, "up");
    for (const a of [INET6_SERVER, INET6_DNS]) await ipIn(INET6_NS, "-6", "addr", "add", `${a}/${INET6_LENGTH}`, "dev", UPLINK, "nodad");
    await ipIn(INET6_NS, "-6", "route", "add", "default", "via", INET6_ROUTER);

    // IPv4 internet: an IPv4-only server (IPv6 disabled in its namespace).
    await sysctlIn(INET4_NS, "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1");
    await ipIn(p, "link", "add", "to-inet4", "type", "veth", "peer", "name", UPLINK, "netns", INET4_NS);
    await ipIn(p, "link", "set", "to-inet4", "up");
    await ipIn(p, "-4", "addr", "add", `${INET4_ROUTER}/${INET4_LENGTH}`, "dev", "to-inet4");
    await ipIn(INET4_NS, "link", "set", UPLINK, "up");
    await ipIn(INET4_NS, "-4", "addr", "add", `${INET4_SERVER}/${INET4_LENGTH}`, "dev", UPLINK);
    await ipIn(INET4_NS, "-4", "route", "add", "default", "via", INET4_ROUTER);
}

/** The host's port on the provider's bridge (the provider's end of its uplink). */
export function providerPort(host: LabHost): string {
    return `h-${host.name}`.slice(0, 15);
}

/** The host's side of the provider: uplink, main address, gateway; the /64 routed to the host. */
export async function plugHost(host: LabHost): Promise<void> {
    const peer = providerPort(host);
    await ipIn(PROVIDER_NS, "link", "add", peer, "type", "veth", "peer", "name", UPLINK, "netns", host.ns);
    await ipIn(PROVIDER_NS, "link", "set", peer, "master", PROVIDER_BRIDGE, "up");
    await ipIn(host.ns, "link", "set", UPLINK, "up");
    await ipIn(host.ns, "-6", "addr", "add", `${host.uplinkLinkLocal}/64`, "dev", UPLINK, "nodad");
    await ipIn(host.ns, "-6", "addr", "add", `${host.publicAddress}/64`, "dev", UPLINK, "nodad");
    await ipIn(host.ns, "-6", "route", "add", "default", "via", PROVIDER_GATEWAY_LL, "dev", UPLINK);
    if (host.ipv4 !== null) {
        await ipIn(host.ns, "-4", "addr", "add", `${host.ipv4}/${PROVIDER_V4_LENGTH}`, "dev", UPLINK);
        await ipIn(host.ns, "-4", "route", "add", "default", "via", PROVIDER_V4_GATEWAY);
    }
    // Hetzner routes a dedicated server's /64 to its link-local address (never on-link).
    await ipIn(PROVIDER_NS, "-6", "route", "replace", host.gua, "via", host.uplinkLinkLocal, "dev", PROVIDER_BRIDGE);
}

/**
 * Undoes plugHost on the provider's side, for a host removed for good: the route of its /64 and
 * its port on the bridge (gone already when its namespace was deleted; a veth pair goes as a whole).
 */
export function unplugHost(host: LabHost): void {
    // Not there when the host's bring-up stopped before its route was added.
    if (runSync(["ip", "-n", PROVIDER_NS, "-6", "route", "show", host.gua]).stdout.trim() !== "") {
        runSync(["ip", "-n", PROVIDER_NS, "-6", "route", "del", host.gua, "via", host.uplinkLinkLocal, "dev", PROVIDER_BRIDGE]);
    }
    runSync(["ip", "-n", PROVIDER_NS, "link", "del", providerPort(host)], { allowFail: true });
}
