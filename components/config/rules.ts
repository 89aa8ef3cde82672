// Rules that relate config values to each other: uniqueness, overlaps, quorum, the service range.
import { Prefix, formatV6 } from "../network/prefix";
import { apiserverServiceAddress, nodeGuaPrefix, podPrefix, servicePrefix } from "../network/plan";
import { canonicalName, nodeName, relativeName } from "../common/names";
import { problem } from "./errors";
import type { ClusterConfig, NodeConfig, PortProtocol, ServiceConfig } from "./types";
import { hasIpv4 } from "./types";
import {
    APISERVER_PORT,
    APISERVER_PROXY_PORT,
    ETCD_CLIENT_PORT,
    ETCD_PEER_PORT,
    KUBELET_PORT,
    SSH_PORT,
    WIREGUARD_PORT,
} from "../common/ports";

/**
 * Ports a host serves itself. An externalIP service or an IPv4 port on one of them would capture
 * that traffic (kube-proxy's DNAT runs before local delivery), so they are refused here, and the
 * cluster's externalIPs policy refuses them to any Service (addons/render/externalIps.ts).
 */
export const RESERVED_HOST_PORTS: readonly { port: number; protocol: PortProtocol; what: string }[] = [
    { port: SSH_PORT, protocol: "TCP", what: "SSH on every host" },
    { port: WIREGUARD_PORT, protocol: "UDP", what: "the WireGuard mesh on every host" },
    { port: APISERVER_PORT, protocol: "TCP", what: "the apiserver on every host" },
    { port: ETCD_CLIENT_PORT, protocol: "TCP", what: "etcd's client port on every control-plane host" },
    { port: ETCD_PEER_PORT, protocol: "TCP", what: "etcd's peer port on every control-plane host" },
    { port: KUBELET_PORT, protocol: "TCP", what: "the kubelet on every host" },
    { port: APISERVER_PROXY_PORT, protocol: "TCP", what: "the node-local apiserver proxy on every host" },
];

function reserved(port: number, protocol: PortProtocol): string | undefined {
    const r = RESERVED_HOST_PORTS.find((x) => x.port === port && x.protocol === protocol);
    return r && `${protocol} ${port} is ${r.what}`;
}

/** A node that passed its own schema, with its position in the config list (for error paths). */
export interface Positioned<T> {
    readonly at: number;
    readonly node: T;
}

export function clusterRules(ula: Prefix, dns: bigint | undefined): string[] {
    if (dns === undefined) return [];
    const services = servicePrefix(ula);
    const path = ["cluster", "dnsServiceAddress"];
    if (!services.containsAddress(dns)) {
        return [problem(path, `${formatV6(dns)} is outside the service range ${services}`)];
    }
    if (dns === services.network) {
        return [problem(path, `${formatV6(dns)} is the network address of ${services}`)];
    }
    if (dns === apiserverServiceAddress(ula)) {
        return [problem(path, `${formatV6(dns)} is taken by the kubernetes apiserver service`)];
    }
    return [];
}

function duplicates<T>(
    nodes: readonly Positioned<NodeConfig>[],
    key: string,
    valueOf: (n: NodeConfig) => T | undefined,
    show: (v: T) => string,
): string[] {
    const seen = new Map<string, NodeConfig>();
    const lines: string[] = [];
    for (const { at, node } of nodes) {
        const value = valueOf(node);
        if (value === undefined) continue;
        const id = show(value);
        const first = seen.get(id);
        if (first) {
            lines.push(problem(["nodes", at, key], `${id} is already used by node "${first.name}"`));
        } else {
            seen.set(id, node);
        }
    }
    return lines;
}

/**
 * Sort-and-sweep over the GUAs (n log n): after sorting by network address, a prefix overlaps an
 * earlier one exactly when it starts before the furthest end seen so far. The node listed later
 * in the file is the one reported.
 */
function overlappingGuas(nodes: readonly Positioned<NodeConfig>[]): string[] {
    const guas = nodes
        .flatMap(({ at, node }) => (node.kind === "dedicated" ? [{ at, name: node.name, gua: node.gua }] : []))
        .sort((a, b) => (a.gua.network < b.gua.network ? -1 : a.gua.network > b.gua.network ? 1 : a.gua.length - b.gua.length));
    const lines: string[] = [];
    let widest: (typeof guas)[number] | undefined;
    for (const current of guas) {
        if (widest && current.gua.network <= widest.gua.last) {
            const [first, later] = widest.at < current.at ? [widest, current] : [current, widest];
            lines.push(
                problem(
                    ["nodes", later.at, "gua"],
                    first.gua.equals(later.gua)
                        ? `${later.gua} is already used by node "${first.name}"`
                        : `${later.gua} overlaps ${first.gua} of node "${first.name}"`,
                ),
            );
        }
        if (!widest || current.gua.last > widest.gua.last) widest = current;
    }
    return lines;
}

/** A dedicated node's public address must be its own and must not collide with its pods. */
function publicAddressRules(nodes: readonly Positioned<NodeConfig>[]): string[] {
    const lines: string[] = [];
    for (const { at, node } of nodes) {
        if (node.kind !== "dedicated") continue;
        const path = ["nodes", at, "publicAddress"];
        const pods = podPrefix(nodeGuaPrefix(node.gua));
        if (!node.gua.containsAddress(node.publicAddress)) {
            lines.push(problem(path, `${formatV6(node.publicAddress)} is outside the node's gua ${node.gua}`));
        } else if (pods.containsAddress(node.publicAddress)) {
            lines.push(problem(path, `${formatV6(node.publicAddress)} is inside the node's pod prefix ${pods}`));
        }
    }
    return lines;
}

function joinRules(nodes: readonly Positioned<NodeConfig>[]): string[] {
    const lines = nodes
        .filter((p) => p.node.joinEtcd && !p.node.roles.includes("control-plane"))
        .map((p) => problem(["nodes", p.at, "joinEtcd"], "only a control-plane node runs etcd"));
    const leavingCps = nodes.filter((p) => p.node.leaving && p.node.roles.includes("control-plane"));
    lines.push(
        ...leavingCps
            .slice(1)
            .map((p) =>
                problem(["nodes", p.at, "leaving"], "only one control-plane node may leave per run (etcd changes one member at a time)"),
            ),
    );
    const cps = nodes.filter((p) => p.node.roles.includes("control-plane") && !p.node.leaving);
    if (cps.length > 0 && cps.every((p) => p.node.joinEtcd)) {
        lines.push(problem(["nodes"], "every control-plane node has joinEtcd: there is no etcd cluster to join"));
    }
    return lines;
}

/** The rules of the cluster a run leaves behind are about the nodes that stay (`leaving` ones go). */
function roleRules(all: readonly Positioned<NodeConfig>[], scheduleOnControlPlane: boolean): string[] {
    const nodes = all.filter((p) => !p.node.leaving);
    const controlPlanes = nodes.filter((p) => p.node.roles.includes("control-plane")).length;
    const workers = nodes.filter((p) => p.node.roles.includes("worker")).length;
    const lines: string[] = [];
    if (controlPlanes === 0) {
        lines.push(
            problem(
                ["nodes"],
                all.some((p) => p.node.leaving && p.node.roles.includes("control-plane"))
                    ? "no control-plane node would stay: the last one cannot leave"
                    : "no node has the control-plane role",
            ),
        );
    } else if (controlPlanes % 2 === 0 && !nodes.some((p) => p.node.joinEtcd)) {
        // An even count is only a step while growing one member at a time (1 -> 2 -> 3).
        lines.push(
            problem(
                ["nodes"],
                `${controlPlanes} control-plane nodes: etcd needs an odd number for a quorum (an even count is allowed only while a member joins, joinEtcd: true)`,
            ),
        );
    }
    if (workers === 0 && !scheduleOnControlPlane) {
        lines.push(
            problem(
                ["nodes"],
                "no node has the worker role: workloads and cluster services would have nowhere to run " +
                    "(control-plane nodes are tainted NoSchedule; set cluster.scheduleOnControlPlane: true to run them there)",
            ),
        );
    }
    return lines;
}

export function nodeRules(nodes: readonly Positioned<NodeConfig>[]): string[] {
    return [
        ...duplicates(
            nodes,
            "name",
            (n) => n.name,
            (v) => JSON.stringify(v),
        ),
        ...duplicates(nodes, "index", (n) => n.index, String),
        ...duplicates(nodes, "ipv4", (n) => (n.kind === "dedicated" ? n.ipv4 : undefined), String),
        ...overlappingGuas(nodes),
        ...publicAddressRules(nodes),
    ];
}

/**
 * Rules about the node list as a whole; only meaningful once every node parsed.
 * `scheduleOnControlPlane`: cluster.scheduleOnControlPlane (a cluster without a worker is valid with it).
 */
export function clusterShapeRules(nodes: readonly Positioned<NodeConfig>[], scheduleOnControlPlane: boolean): string[] {
    return [...roleRules(nodes, scheduleOnControlPlane), ...joinRules(nodes)];
}

/** `cluster.dns64Gateway` and per-node `ipv4Ports`: both need a node with IPv4. */
export function dnsRules(cluster: ClusterConfig, nodes: readonly Positioned<NodeConfig>[]): string[] {
    const lines: string[] = [];
    if (cluster.dns64Gateway !== undefined) {
        const gw = nodes.find((p) => p.node.name === cluster.dns64Gateway);
        const path = ["cluster", "dns64Gateway"];
        if (!gw) lines.push(problem(path, `no node is named "${cluster.dns64Gateway}"`));
        else if (!hasIpv4(gw.node)) lines.push(problem(path, `node "${gw.node.name}" has no IPv4 address, so it runs no NAT64 gateway`));
    }
    for (const { at, node } of nodes) {
        if (node.ipv4Ports.length > 0 && !hasIpv4(node)) {
            lines.push(problem(["nodes", at, "ipv4Ports"], `node "${node.name}" has no IPv4 address to receive them on`));
        }
        const seen = new Set<string>();
        node.ipv4Ports.forEach((p, i) => {
            const path = ["nodes", at, "ipv4Ports", i];
            const id = `${p.protocol} ${p.port}`;
            const why = reserved(p.port, p.protocol);
            if (why) lines.push(problem(path, why));
            else if (seen.has(id)) lines.push(problem(path, `${id} is listed twice`));
            seen.add(id);
        });
    }
    return lines;
}

/**
 * cluster.dns: every service's dnsName in the zone, and each name published once (a service's, or
 * a node's own `<node>.<zone>`), since each becomes one record set.
 */
export function zoneRules(
    cluster: ClusterConfig,
    nodes: readonly Positioned<NodeConfig>[],
    services: readonly Positioned<ServiceConfig>[],
): string[] {
    const dns = cluster.dns;
    if (!dns) return [];
    const lines: string[] = [];
    const claimed = new Map<string, string>(nodes.map((p) => [nodeName(p.node.name, dns.zone), `node ${p.node.name}'s own name`]));
    for (const { at, node: svc } of services) {
        if (svc.dnsName === undefined) continue;
        const path = ["services", at, "dnsName"];
        const name = canonicalName(svc.dnsName);
        const owner = claimed.get(name);
        if (relativeName(name, dns.zone) === null) lines.push(problem(path, `"${svc.dnsName}" is not in cluster.dns.zone "${dns.zone}"`));
        else if (owner) lines.push(problem(path, `"${svc.dnsName}" is already published as ${owner}`));
        else claimed.set(name, `services[${at}].dnsName`);
    }
    return lines;
}

/** Public services: known hosts, unique names, and no two listeners on one host's port. */
export function serviceRules(services: readonly Positioned<ServiceConfig>[], nodes: readonly Positioned<NodeConfig>[]): string[] {
    const lines: string[] = [];
    const byName = new Map(nodes.map((p) => [p.node.name, p.node]));
    const names = new Map<string, number>();
    // host -> "TCP 80" -> who listens there
    const taken = new Map<string, Map<string, string>>();
    const take = (host: string, id: string, who: string): string | undefined => {
        const ports = taken.get(host) ?? new Map<string, string>();
        taken.set(host, ports);
        const owner = ports.get(id);
        if (owner === undefined) ports.set(id, who);
        return owner;
    };
    for (const { node } of nodes) {
        for (const p of node.ipv4Ports) take(node.name, `${p.protocol} ${p.port}`, `nodes ${node.name}.ipv4Ports`);
    }
    for (const { at, node: svc } of services) {
        const id = `${svc.namespace}/${svc.name}`;
        const first = names.get(id);
        if (first !== undefined) lines.push(problem(["services", at, "name"], `${id} is already declared by services[${first}]`));
        else names.set(id, at);
        const hosts = new Set<string>();
        svc.hosts.forEach((h, i) => {
            const path = ["services", at, "hosts", i];
            if (!byName.has(h)) lines.push(problem(path, `no node is named "${h}"`));
            else if (hosts.has(h)) lines.push(problem(path, `"${h}" is listed twice`));
            else if (byName.get(h)!.leaving) lines.push(problem(path, `"${h}" is leaving the cluster: its kube-proxy stops in this run`));
            hosts.add(h);
        });
        const ports = new Set<string>();
        const portNames = new Set<string>();
        svc.ports.forEach((p, i) => {
            const path = ["services", at, "ports", i];
            const pid = `${p.protocol} ${p.port}`;
            const why = reserved(p.port, p.protocol);
            if (why) {
                lines.push(problem(path, why));
                return;
            }
            if (ports.has(pid)) {
                lines.push(problem(path, `${pid} is listed twice`));
                return;
            }
            ports.add(pid);
            if (p.name !== undefined) {
                if (portNames.has(p.name)) lines.push(problem([...path, "name"], `"${p.name}" is listed twice`));
                portNames.add(p.name);
            }
            for (const h of hosts) {
                if (!byName.has(h)) continue;
                const owner = take(h, pid, `service ${id}`);
                if (owner !== undefined) lines.push(problem(path, `${pid} on host "${h}" is already taken by ${owner}`));
            }
        });
    }
    return lines;
}
