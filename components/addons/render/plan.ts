// What the cluster services need from the config and the address plan: the NAT64 gateways, the
// one CoreDNS synthesises into, the hosts' resolvers, and the ports each host serves publicly.
// Each function names the parts of the config it reads (a StackConfig has them all). Pure: no Pulumi.
import { SSH_PORT } from "../../common/ports";
import type { ClusterConfig, NodeConfig, PortConfig, PortProtocol, StackConfig } from "../../config/types";
import type { ForwardedPort, PublicPort } from "../../hosts/render/nftables";
import { firewallSources } from "../../hosts/render/sources";
import type { AddressPlan, NodePlan } from "../../network/plan";
import { Prefix, formatV6 } from "../../network/prefix";

/** glibc reads at most three `nameserver` lines. */
export const MAX_NAMESERVERS = 3;
/** Gateways listed in a host's resolv.conf; the last line is kept for an upstream resolver. */
export const MAX_GATEWAY_RESOLVERS = 2;

/** A host with IPv4: it runs Tayga for `<nodeula>:64::/96` and a DNS64 resolver on its mesh address. */
export interface Gateway {
    readonly name: string;
    readonly index: number;
    /** Its NAT64 /96 (typed from the plan to the renderers; printed only in the files). */
    readonly nat64: Prefix;
    /** Its WireGuard (mesh) address, where its DNS64 resolver listens. */
    readonly meshAddress: string;
}

function gatewayOf(n: NodePlan): Gateway | null {
    return n.nat64 === null ? null : { name: n.name, index: n.index, nat64: n.nat64, meshAddress: formatV6(n.wireguard) };
}

/** Every IPv4 host, lowest index first. */
export function gateways(plan: AddressPlan): Gateway[] {
    return [...plan.nodes].sort((a, b) => a.index - b.index).flatMap((n) => gatewayOf(n) ?? []);
}

/**
 * The gateway CoreDNS's dns64 synthesises into: `cluster.dns64Gateway` if set, else the IPv4 host
 * with the lowest index (stable: adding a gateway with a higher index changes nothing). Null when
 * no host has IPv4. If it dies, pods cannot reach IPv4-only names until the setting points at
 * another gateway (README, "DNS64 and NAT64").
 */
export function dns64Gateway(config: { readonly cluster: Pick<ClusterConfig, "dns64Gateway"> }, plan: AddressPlan): Gateway | null {
    const all = gateways(plan);
    const chosen = config.cluster.dns64Gateway;
    if (chosen === undefined) return all[0] ?? null;
    const gw = all.find((g) => g.name === chosen);
    if (!gw) throw new RangeError(`cluster.dns64Gateway: "${chosen}" is not a node with IPv4`);
    return gw;
}

/**
 * A host's resolv.conf nameservers: DNS64 resolvers on up to two gateways (the dns64 gateway
 * first), then upstream resolvers to fill glibc's three lines. Hosts need DNS64 before the cluster
 * exists (image pulls from IPv4-only registries), so they never depend on CoreDNS.
 */
export function hostNameservers(
    config: { readonly cluster: Pick<ClusterConfig, "dns64Gateway" | "upstreamDns"> },
    plan: AddressPlan,
): string[] {
    const first = dns64Gateway(config, plan);
    const ordered = first ? [first, ...gateways(plan).filter((g) => g.name !== first.name)] : [];
    const dns64 = ordered.slice(0, MAX_GATEWAY_RESOLVERS).map((g) => g.meshAddress);
    return [...dns64, ...config.cluster.upstreamDns].slice(0, MAX_NAMESERVERS);
}

const key = (p: { port: number; protocol: PortProtocol }) => `${p.protocol} ${p.port}`;

function unique(ports: readonly PortConfig[]): PortConfig[] {
    const seen = new Map<string, PortConfig>();
    for (const p of ports) seen.set(key(p), { port: p.port, protocol: p.protocol });
    return [...seen.values()].sort((a, b) => a.port - b.port || a.protocol.localeCompare(b.protocol));
}

/** Ports of the public services that list this host. */
export function servicePortsOn(config: Pick<StackConfig, "services">, node: string): PortConfig[] {
    return unique(config.services.filter((s) => s.hosts.includes(node)).flatMap((s) => s.ports));
}

/**
 * IPv4 ports the host's NAT64 gateway forwards to its public IPv6 address: its own `ipv4Ports`
 * (host-network listeners) and the ports of every public service on it (kube-proxy's externalIP
 * rules take the translated packets from there). Empty for a host without IPv4.
 */
export function inboundIpv4Ports(config: Pick<StackConfig, "nodes" | "services">, node: string): PortConfig[] {
    const n = config.nodes.find((x) => x.name === node);
    if (!n) throw new RangeError(`no node "${node}"`);
    const hasV4 = n.kind === "dedicated" ? n.ipv4 !== undefined : n.ipv4;
    return hasV4 ? unique([...n.ipv4Ports, ...servicePortsOn(config, node)]) : [];
}

/**
 * Host firewall openings for `ipv4Ports`: host-network listeners see IPv4 clients as
 * `<nat64 /96>::<ipv4>`, so the port opens to the node's own NAT64 /96 and nobody else.
 * (Service ports need no opening: kube-proxy's DNAT forwards them, the input chain never sees them.)
 */
export function ipv4FirewallPorts(config: Pick<StackConfig, "nodes">, plan: AddressPlan, node: string): PublicPort[] {
    const n = config.nodes.find((x) => x.name === node);
    const nat64 = plan.nodes.find((x) => x.name === node)?.nat64;
    if (!n || !nat64) return [];
    return unique(n.ipv4Ports).map((p) => ({
        protocol: p.protocol === "TCP" ? "tcp" : "udp",
        port: p.port,
        from: [nat64.toString()],
        why: "IPv4 clients through NAT64",
    }));
}

/**
 * What the hcloud firewall (one for all hcloud servers, in front of the hosts) must let in beyond
 * SSH and WireGuard: the public services' ports on hcloud hosts, hcloud hosts' `ipv4Ports`, and the
 * public NodePorts (when there is an hcloud host).
 */
export function hcloudPublicPorts(
    config: Pick<StackConfig, "nodes" | "services"> & {
        readonly cluster?: { readonly kubeProxy: Pick<ClusterConfig["kubeProxy"], "publicNodePorts"> };
    },
): PortConfig[] {
    const cloud = config.nodes.filter((n) => n.kind === "hcloud");
    const nodePorts = cloud.length > 0 ? (config.cluster?.kubeProxy.publicNodePorts ?? []) : [];
    return unique([...cloud.flatMap((n) => [...n.ipv4Ports, ...servicePortsOn(config, n.name)]), ...nodePorts]);
}

/**
 * What a host's firewall opens besides WireGuard: SSH to `cluster.sshPrefixes`, the apiserver port
 * on control-plane nodes to `cluster.adminPrefixes` (the Pulumi runner, admins), and the IPv4 ports
 * its NAT64 gateway forwards. The program's NodeNetwork and the offline render both take it from here.
 */
export function hostPublicPorts(
    config: { readonly nodes: readonly NodeConfig[]; readonly cluster: Pick<ClusterConfig, "adminPrefixes" | "sshPrefixes"> },
    plan: AddressPlan,
    node: string,
    apiserverPort: number,
): PublicPort[] {
    const n = config.nodes.find((x) => x.name === node);
    const admins = config.cluster.adminPrefixes;
    const apiserver: PublicPort[] =
        n?.roles.includes("control-plane") && admins.length > 0
            ? [{ protocol: "tcp", port: apiserverPort, from: admins, why: "apiserver for admins" }]
            : [];
    const ssh: PublicPort = { protocol: "tcp", port: SSH_PORT, from: firewallSources(config.cluster.sshPrefixes), why: "ssh" };
    return [ssh, ...apiserver, ...ipv4FirewallPorts(config, plan, node)];
}

/**
 * What kube-proxy may forward to pods from outside the mesh on this host (the forward chain, not
 * the input chain: kube-proxy translates before either sees the packet): the ports of the public
 * services on it (their externalIPs) and `cluster.kubeProxy.publicNodePorts`.
 */
export function hostForwardedPorts(
    config: {
        readonly services: StackConfig["services"];
        readonly cluster: { readonly kubeProxy: Pick<ClusterConfig["kubeProxy"], "publicNodePorts"> };
    },
    node: string,
): ForwardedPort[] {
    const lower = (p: PortConfig) => (p.protocol === "TCP" ? "tcp" : "udp") as ForwardedPort["protocol"];
    return [
        ...servicePortsOn(config, node).map((p) => ({
            protocol: lower(p),
            port: p.port,
            why: "a public service on this host (externalIPs)",
        })),
        ...unique(config.cluster.kubeProxy.publicNodePorts).map((p) => ({ protocol: lower(p), port: p.port, why: "a public NodePort" })),
    ];
}
