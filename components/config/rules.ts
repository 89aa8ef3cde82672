// Rules that relate config values to each other: uniqueness, overlaps, quorum, the service range.
import { Prefix, formatV6 } from "../network/prefix";
import { apiserverServiceAddress, nodeGuaPrefix, podPrefix, servicePrefix } from "../network/plan";
import { problem } from "./errors";
import type { NodeConfig } from "./types";

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
            lines.push(problem(["nodes", later.at, "gua"], first.gua.equals(later.gua)
                ? `${later.gua} is already used by node "${first.name}"`
                : `${later.gua} overlaps ${first.gua} of node "${first.name}"`));
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
    const cps = nodes.filter((p) => p.node.roles.includes("control-plane"));
    if (cps.length > 0 && cps.every((p) => p.node.joinEtcd)) {
        lines.push(problem(["nodes"], "every control-plane node has joinEtcd: there is no etcd cluster to join"));
    }
    return lines;
}

function roleRules(nodes: readonly Positioned<NodeConfig>[]): string[] {
    const controlPlanes = nodes.filter((p) => p.node.roles.includes("control-plane")).length;
    const workers = nodes.filter((p) => p.node.roles.includes("worker")).length;
    const lines: string[] = [];
    if (controlPlanes === 0) {
        lines.push(problem(["nodes"], "no node has the control-plane role"));
    } else if (controlPlanes % 2 === 0) {
        lines.push(problem(["nodes"], `${controlPlanes} control-plane nodes: etcd needs an odd number for a quorum`));
    }
    if (workers === 0) {
        lines.push(problem(["nodes"], "no node has the worker role: cluster services would have nowhere to run"));
    }
    return lines;
}

export function nodeRules(nodes: readonly Positioned<NodeConfig>[]): string[] {
    return [
        ...duplicates(nodes, "name", (n) => n.name, (v) => JSON.stringify(v)),
        ...duplicates(nodes, "index", (n) => n.index, String),
        ...duplicates(nodes, "ipv4", (n) => (n.kind === "dedicated" ? n.ipv4 : undefined), String),
        ...overlappingGuas(nodes),
        ...publicAddressRules(nodes),
    ];
}

/** Rules about the node list as a whole; only meaningful once every node parsed. */
export function clusterShapeRules(nodes: readonly Positioned<NodeConfig>[]): string[] {
    return [...roleRules(nodes), ...joinRules(nodes)];
}
