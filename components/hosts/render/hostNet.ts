// The resolved network facts of one host, as strings ready to render. GUA-derived values may be
// placeholders: hcloud assigns a server's /64 only when it is created.
import { Prefix, formatV6 } from "../../network/prefix";
import { NodePlan, nodeGuaPrefix, podPrefix, podRange } from "../../network/plan";

/** WireGuard over IPv6 costs 80 bytes (40 IPv6 + 8 UDP + 32 WireGuard) of the 1500-byte uplink. */
export const UPLINK_MTU = 1500;
export const WIREGUARD_OVERHEAD_V6 = 80;
export const MESH_MTU = UPLINK_MTU - WIREGUARD_OVERHEAD_V6;
export const WIREGUARD_INTERFACE = "wg0";
export const POD_BRIDGE = "cluster0";
/** Tayga's TUN on a NAT64 gateway (nat64/render/tayga.ts); the host firewall lets it forward. */
export const NAT64_TUN = "nat64";

/** A pod /96 as host-local and the bridge see it. */
export interface PodRange {
    readonly subnet: string;
    readonly rangeStart: string;
    readonly rangeEnd: string;
    /** The bridge's address, the pods' default gateway: the first address of the subnet. */
    readonly gateway: string;
}

export function podRangeOf(pod: Prefix): PodRange {
    const { start, end } = podRange(pod);
    return { subnet: pod.toString(), rangeStart: formatV6(start), rangeEnd: formatV6(end), gateway: formatV6(pod.address(1)) };
}

/** Marker text for values only hcloud knows after creation; never valid syntax, so never applied by mistake. */
export function placeholder(what: string, node: string): string {
    return `<${what}:${node}>`;
}

/** The pod range of a /80 that is not known yet, written in the seed's `<nodegua>:1::/96` notation. */
export function placeholderPodRange(node: string): PodRange {
    const gua = placeholder("hcloud-gua", node);
    return { subnet: `${gua}:1::/96`, rangeStart: `${gua}:1::10`, rangeEnd: `${gua}:1:ffff:ffff`, gateway: `${gua}:1::1` };
}

export interface HostNet {
    readonly name: string;
    readonly index: number;
    readonly roles: readonly string[];
    /**
     * `<wireguardAddress>/<the cluster prefix's length>`: what wg0 carries, so the whole cluster ULA
     * routes into the mesh (formatted here once, from the plan's typed values).
     */
    readonly meshInterfaceAddress: string;
    /** The cluster /64. */
    readonly clusterUla: string;
    readonly ula: string;
    readonly wireguardAddress: string;
    readonly podUla: PodRange;
    readonly podGua: PodRange;
    readonly nat64: string | null;
}

/** `providerGua` is the provider prefix, or null when it is not known yet (rendered as placeholders). */
export function hostNet(clusterUla: Prefix, node: NodePlan, providerGua: Prefix | null): HostNet {
    return {
        name: node.name,
        index: node.index,
        roles: node.roles,
        meshInterfaceAddress: `${formatV6(node.wireguard)}/${clusterUla.length}`,
        clusterUla: clusterUla.toString(),
        ula: node.ula.toString(),
        wireguardAddress: formatV6(node.wireguard),
        podUla: podRangeOf(node.podUla),
        podGua: providerGua === null ? placeholderPodRange(node.name) : podRangeOf(podPrefix(nodeGuaPrefix(providerGua))),
        nat64: node.nat64?.toString() ?? null,
    };
}

/** A peer of the mesh as another host sees it. */
export interface MeshPeer {
    readonly name: string;
    readonly publicKey: string;
    /** The peer's public IPv6 address (no brackets, no port). */
    readonly endpoint: string;
    /** Exactly the peer's ULA /80 (which holds its pod /96 and NAT64 /96). */
    readonly allowedIps: string;
}
