// The address plan: every prefix of the cluster, derived from the cluster /64, node indexes and
// provider prefixes by the seed's rules. Pure: no Pulumi, no I/O.
import { Prefix, formatV6 } from "./prefix";

/** Sixth hextet of a node's NAT64 /96: `<nodeula>:64::/96`. */
export const NAT64_SUBNET = 0x64;
/** Sixth hextet of a node's pod /96s: `<nodeula>:1::/96`, `<nodegua>:1::/96`. */
export const POD_SUBNET = 1;
/** host-local hands out pod addresses from here up (lower ones stay free for the bridge gateway). */
export const POD_RANGE_START = 0x10;
/** Offset of the apiserver's service address, `<cluster>::1` (Kubernetes takes the first one). */
export const APISERVER_SERVICE_OFFSET = 1;
/** Offset of the default CoreDNS address, `<cluster>::a`. */
export const DEFAULT_DNS_OFFSET = 0xa;

/** `<cluster>::/112`, inside the reserved first /80 `<cluster>:0::/80`. */
export function servicePrefix(cluster: Prefix): Prefix {
    return cluster.subnet(80, 0).subnet(112, 0);
}

export function defaultDnsAddress(cluster: Prefix): bigint {
    return servicePrefix(cluster).address(DEFAULT_DNS_OFFSET);
}

export function apiserverServiceAddress(cluster: Prefix): bigint {
    return servicePrefix(cluster).address(APISERVER_SERVICE_OFFSET);
}

/** Node index i gets `<cluster>:i::/80`; index 0 is the services /80. */
export function nodeUlaPrefix(cluster: Prefix, index: number): Prefix {
    if (!Number.isInteger(index) || index < 1 || index > 0xffff) {
        throw new RangeError(`node index ${index} is outside 1..65535`);
    }
    return cluster.subnet(80, index);
}

/** The node's address on the mesh: the first host address of its ULA /80. */
export function wireguardAddress(nodeUla: Prefix): bigint {
    return nodeUla.address(1);
}

/** The provider's prefix augmented to a /80 by appending zeros: its first /80. */
export function nodeGuaPrefix(providerPrefix: Prefix): Prefix {
    if (providerPrefix.length > 80) {
        throw new RangeError(`${providerPrefix} is longer than /80`);
    }
    return providerPrefix.subnet(80, 0);
}

/** `<node80>:1::/96`, for the node's ULA or GUA /80. */
export function podPrefix(node80: Prefix): Prefix {
    return node80.subnet(96, POD_SUBNET);
}

export function nat64Prefix(nodeUla: Prefix): Prefix {
    return nodeUla.subnet(96, NAT64_SUBNET);
}

/** The host-local range of a pod /96: `...:1::10` to `...:1:ffff:ffff`. */
export function podRange(pod: Prefix): { start: bigint; end: bigint } {
    return { start: pod.address(POD_RANGE_START), end: pod.last };
}

export interface NodePlanInput {
    readonly name: string;
    readonly index: number;
    readonly roles: readonly string[];
    /** The provider prefix, or null while hcloud has not assigned it yet. */
    readonly gua: Prefix | null;
    readonly ipv4: boolean;
}

export interface NodePlan {
    readonly name: string;
    readonly index: number;
    readonly roles: readonly string[];
    readonly ula: Prefix;
    readonly wireguard: bigint;
    readonly podUla: Prefix;
    readonly gua: Prefix | null;
    readonly podGua: Prefix | null;
    readonly nat64: Prefix | null;
}

export interface ClusterPlan {
    readonly ula: Prefix;
    readonly services: Prefix;
    readonly dns: bigint;
    readonly apiserverService: bigint;
}

export interface AddressPlan {
    readonly cluster: ClusterPlan;
    readonly nodes: readonly NodePlan[];
}

export function planNode(cluster: Prefix, node: NodePlanInput): NodePlan {
    const ula = nodeUlaPrefix(cluster, node.index);
    const gua = node.gua === null ? null : nodeGuaPrefix(node.gua);
    return {
        name: node.name,
        index: node.index,
        roles: [...node.roles],
        ula,
        wireguard: wireguardAddress(ula),
        podUla: podPrefix(ula),
        gua,
        podGua: gua === null ? null : podPrefix(gua),
        nat64: node.ipv4 ? nat64Prefix(ula) : null,
    };
}

export function planCluster(cluster: Prefix, dns: bigint | undefined, nodes: readonly NodePlanInput[]): AddressPlan {
    return {
        cluster: {
            ula: cluster,
            services: servicePrefix(cluster),
            dns: dns ?? defaultDnsAddress(cluster),
            apiserverService: apiserverServiceAddress(cluster),
        },
        nodes: nodes.map((n) => planNode(cluster, n)),
    };
}

/** The JSON shape of `npm run plan -- --json` and of the stack outputs (RFC 5952 strings). */
export interface NodePlanJson {
    name: string;
    index: number;
    roles: string[];
    ula: string;
    wireguard: string;
    podUla: string;
    gua: string | null;
    podGua: string | null;
    nat64: string | null;
}

export interface AddressPlanJson {
    cluster: { ula: string; services: string; dns: string };
    nodes: NodePlanJson[];
}

export function nodePlanToJson(n: NodePlan): NodePlanJson {
    return {
        name: n.name,
        index: n.index,
        roles: [...n.roles],
        ula: n.ula.toString(),
        wireguard: formatV6(n.wireguard),
        podUla: n.podUla.toString(),
        gua: n.gua?.toString() ?? null,
        podGua: n.podGua?.toString() ?? null,
        nat64: n.nat64?.toString() ?? null,
    };
}

export function planToJson(plan: AddressPlan): AddressPlanJson {
    return {
        cluster: {
            ula: plan.cluster.ula.toString(),
            services: plan.cluster.services.toString(),
            dns: formatV6(plan.cluster.dns),
        },
        nodes: plan.nodes.map(nodePlanToJson),
    };
}
