// The validated, typed stack configuration. Everything downstream reads this, never raw config.
import { Prefix } from "../network/prefix";

export const ROLES = ["control-plane", "worker"] as const;
export type Role = (typeof ROLES)[number];

export const NODE_KINDS = ["dedicated", "hcloud"] as const;
export type NodeKind = (typeof NODE_KINDS)[number];

export interface ClusterConfig {
    /** The cluster's /64 ULA, `<cluster>` in the design. */
    readonly ulaPrefix: Prefix;
    /** Kubernetes release, "MAJOR.MINOR.PATCH" without a leading v. */
    readonly kubernetesVersion: string;
    /** CoreDNS service address; defaults to `<cluster>::a`. */
    readonly dnsServiceAddress: bigint;
    readonly pki: PkiConfig;
    /** Extra names (DNS or IP) for the apiserver certificates. */
    readonly apiserverExtraNames: readonly string[];
    /** CIDRs allowed to reach the apiservers' public port; default none. */
    readonly adminPrefixes: readonly string[];
    /** containerd and runc releases installed on every host. */
    readonly containerdVersion: string;
    readonly runcVersion: string;
}

export interface PkiConfig {
    /** Leaf certificate lifetime; default 8760 (a year). */
    readonly certificateValidityHours: number;
    /** CA lifetime; default 87600 (ten years). */
    readonly caValidityHours: number;
    /** Bump to re-issue every leaf key and certificate; default 0. */
    readonly generation: number;
}

interface NodeCommon {
    /** DNS label, unique in the cluster. */
    readonly name: string;
    /** 1..65535, stable forever: it is the fifth hextet of the node's ULA /80. */
    readonly index: number;
    readonly roles: readonly Role[];
    /** A control-plane node joining a running etcd (`--initial-cluster-state=existing`); default false. */
    readonly joinEtcd: boolean;
}

/** An existing Hetzner Robot server: nothing is created, it is reached over SSH. */
export interface DedicatedNodeConfig extends NodeCommon {
    readonly kind: "dedicated";
    /** The provider's routed prefix (/80 or shorter, usually a /64). */
    readonly gua: Prefix;
    /** The address SSH and WireGuard peers use; defaults to `<gua>::2` (Robot's default). */
    readonly publicAddress: bigint;
    /** The server's public IPv4 address, if it has one: it then runs a NAT64 gateway. */
    readonly ipv4?: string;
}

/** An hcloud server created by the program; its /64 is known only after creation. */
export interface HcloudNodeConfig extends NodeCommon {
    readonly kind: "hcloud";
    readonly serverType: string;
    readonly location: string;
    readonly image: string;
    /** Ask hcloud for a primary IPv4 (paid); the node then runs a NAT64 gateway. */
    readonly ipv4: boolean;
}

export type NodeConfig = DedicatedNodeConfig | HcloudNodeConfig;

export interface StackConfig {
    readonly cluster: ClusterConfig;
    /** Sorted by index, so output order never depends on the order in the file. */
    readonly nodes: readonly NodeConfig[];
}

export function hasRole(node: { roles: readonly Role[] }, role: Role): boolean {
    return node.roles.includes(role);
}

export function hasIpv4(node: NodeConfig): boolean {
    return node.kind === "dedicated" ? node.ipv4 !== undefined : node.ipv4;
}
