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
    RADVD,
    STATE_DIR,
    UPLINK,
} from "./config";

/** The recorded name of the provider's radvd. */
export const RADVD_DAEMON = "provider-radvd";
import * as fs from "fs";
import * as path from "path";
import { addNetns, inNs } from "./netns";
import { PidRecord, logFile, startDaemon } from "./processes";
import { eventually, run, runSync } from "./run";
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
    // A host configured by router advertisements learns its default route from radvd instead.
    if (!host.uplinkByRouterAdvertisements) await ipIn(host.ns, "-6", "route", "add", "default", "via", PROVIDER_GATEWAY_LL, "dev", UPLINK);
    if (host.ipv4 !== null) {
        await ipIn(host.ns, "-4", "addr", "add", `${host.ipv4}/${PROVIDER_V4_LENGTH}`, "dev", UPLINK);
        await ipIn(host.ns, "-4", "route", "add", "default", "via", PROVIDER_V4_GATEWAY);
    }
    // Hetzner routes a dedicated server's /64 to its link-local address (never on-link).
    await ipIn(PROVIDER_NS, "-6", "route", "replace", host.gua, "via", host.uplinkLinkLocal, "dev", PROVIDER_BRIDGE);
}

/**
 * A real radvd on the provider's bridge, advertising a default route (no prefix: the address is
 * static, as on a Robot server) unicast to the hosts whose uplink takes it, and only to them;
 * returns once each has the route. Recorded like every lab daemon, stopped at teardown.
 */
export async function startRouterAdvertisements(hosts: readonly LabHost[]): Promise<void> {
    const clients = hosts.filter((h) => h.uplinkByRouterAdvertisements);
    if (clients.length === 0) return;
    const conf = path.join(STATE_DIR, "radvd.conf");
    fs.writeFileSync(
        conf,
        [
            `interface ${PROVIDER_BRIDGE} {`,
            "    AdvSendAdvert on;",
            "    MinRtrAdvInterval 3;",
            "    MaxRtrAdvInterval 4;",
            "    AdvDefaultLifetime 1800;",
            `    clients { ${clients.map((h) => `${h.uplinkLinkLocal};`).join(" ")} };`,
            "};",
            "",
        ].join("\n"),
    );
    const radvd = startDaemon(
        RADVD_DAEMON,
        inNs(PROVIDER_NS, [RADVD, "-n", "-m", "stderr", "-C", conf, "-p", path.join(STATE_DIR, "radvd.pid")]),
    );
    await Promise.all(clients.map((h) => waitForRouterAdvertisement(h, radvd)));
}

/** Waits until the host has its default route from a router advertisement (20 s at most). */
export async function waitForRouterAdvertisement(host: LabHost, radvd?: PidRecord): Promise<void> {
    const learned = async () => (await run(["ip", "-n", host.ns, "-6", "route", "show", "default"])).stdout.includes("proto ra");
    if (await eventually(learned, 20_000, 100)) return;
    const log = radvd && fs.existsSync(logFile(radvd.name)) ? fs.readFileSync(logFile(radvd.name), "utf8").trim() : "";
    throw new Error(`lab: ${host.name} got no default route from the provider's router advertisements in 20 s; radvd's log:\n${log}`);
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
