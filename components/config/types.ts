// The validated, typed stack configuration. Everything downstream reads this, never raw config.
import { Prefix } from "../network/prefix";
import type { KubeletSettingsInput } from "./kubeletSettings";

export const ROLES = ["control-plane", "worker"] as const;
export type Role = (typeof ROLES)[number];

export const NODE_KINDS = ["dedicated", "hcloud"] as const;
export type NodeKind = (typeof NODE_KINDS)[number];

export interface ClusterConfig {
    /** The cluster's /64 ULA, `<cluster>` in the design. */
    readonly ulaPrefix: Prefix;
    /** Kubernetes release, "MAJOR.MINOR.PATCH" without a leading v. */
    readonly kubernetesVersion: string;
    /** etcd release of the members ("3.5.36"), a patch of the minor COMPONENT_VERSIONS pins; default that pin. */
    readonly etcdVersion?: string;
    /** CoreDNS service address; defaults to `<cluster>::a`. */
    readonly dnsServiceAddress: bigint;
    readonly pki: PkiConfig;
    /** Extra names (DNS or IP) for the apiserver certificates. */
    readonly apiserverExtraNames: readonly string[];
    /** CIDRs allowed to reach the apiservers' public port; default none. */
    readonly adminPrefixes: readonly string[];
    /** Every node's kubelet settings (config/kubeletSettings.ts), below each node's own. */
    readonly kubelet: KubeletSettingsInput;
    /** CIDRs allowed to open SSH on the hosts' public addresses; default SSH_ANYWHERE (everyone). */
    readonly sshPrefixes: readonly string[];
    /** Namespaces where Services may use externalIPs besides the public services' own; default none. */
    readonly externalIPNamespaces: readonly string[];
    /** containerd and runc releases installed on every host. */
    readonly containerdVersion: string;
    readonly runcVersion: string;
    /** IPv6 recursive resolvers (RFC 5952); default Hetzner's 2a01:4ff:ff00::add:1 and ::add:2. */
    readonly upstreamDns: readonly string[];
    /** Tayga's IPv4 side on every NAT64 gateway; default DEFAULT_NAT64_POOL. */
    readonly nat64Pool: Nat64Pool;
    /** Node whose NAT64 /96 CoreDNS's dns64 uses; default the IPv4 node with the lowest index. */
    readonly dns64Gateway?: string;
    readonly coredns: CorednsConfig;
    /** Pull-through mirrors by registry host; default none. */
    readonly registryMirrors: Readonly<Record<string, string>>;
    /** Release download bases for install-binaries.sh; unset parts stay upstream. */
    readonly releaseBases: { readonly kubernetes?: string; readonly containerd?: string; readonly runc?: string; readonly etcd?: string };
    /** The Hetzner DNS zone the records are published in; unset: only the `dnsRecords` output. */
    readonly dns?: DnsConfig;
    /** Restore etcd from a snapshot in this run (once per id). */
    /** Snapshots' upload to an S3-compatible store; default none. */
    readonly etcdBackup: EtcdBackupConfig;
    readonly etcdRestore?: EtcdRestoreConfig;
    readonly kubeProxy: {
        readonly conntrackMaxPerCore?: number;
        /** NodePorts open to the internet on the hosts' public addresses; default none (ULA only). */
        readonly publicNodePorts: readonly PortConfig[];
    };
    /**
     * Workloads may run on control-plane nodes: no control-plane taint, and no worker is needed;
     * default false (control-plane-only nodes are tainted NoSchedule, a node with both roles is not).
     */
    readonly scheduleOnControlPlane: boolean;
    /**
     * The cluster is about to be destroyed: node removals (the membership commands' deletes) only
     * print a line instead of draining nodes and removing etcd members; default false.
     */
    readonly teardown: boolean;
    /** Apiserver URL for the Pulumi runner's Kubernetes provider; default the first control-plane node's public address. */
    readonly kubernetesProviderServer?: string;
}

export interface DnsConfig {
    /** Lower case, no trailing dot: example.org. */
    readonly zone: string;
    /** The program creates the zone; otherwise it exists and only record sets are managed. */
    readonly manageZone: boolean;
    readonly ttl: number;
}

/** cluster.sshPrefixes' default: SSH open to everyone, as a fresh Hetzner server has it. */
export const SSH_ANYWHERE = ["::/0", "0.0.0.0/0"] as const;

/** The IPv4 side of a NAT64 gateway's translator; neither address is ever seen outside the host. */
export interface Nat64Pool {
    /** Tayga's own IPv4 address (ICMP errors come from it); inside `dynamicPool`. */
    readonly ipv4Address: string;
    /** IPv4 addresses handed to IPv6 sources, one per source, masqueraded out of the uplink. */
    readonly dynamicPool: string;
}

/**
 * The default pool, Tayga's documented one: a private /24 that exists only between the TUN and the
 * MASQUERADE on the gateway itself, so it never collides with anything on the wire; its only cost
 * is that the gateway cannot reach real hosts in 192.168.255.0/24 (set `cluster.nat64Pool` if you
 * have some). 253 sources (pods and nodes that talk to IPv4 at the same time) fit before Tayga
 * reuses idle mappings.
 */
export const DEFAULT_NAT64_POOL: Nat64Pool = { ipv4Address: "192.168.255.1", dynamicPool: "192.168.255.0/24" };

/** cluster.etcdBackup.s3 (schema.ts etcdBackupS3Schema). */
export interface EtcdBackupS3Config {
    readonly endpoint: string;
    readonly region: string;
    readonly bucket: string;
    /** Empty or ending in /. */
    readonly prefix: string;
    readonly keep: number;
    readonly caCertificate?: string;
}

export interface EtcdBackupConfig {
    readonly s3?: EtcdBackupS3Config;
}

export interface EtcdRestoreConfig {
    readonly id: string;
    /** Absolute path of the snapshot on every control-plane node, or `s3:<object key>` in etcdBackup.s3's bucket. */
    readonly snapshot: string;
    /** Its sha256, lower-case hex. */
    readonly sha256: string;
}

export interface CorednsConfig {
    /** Pods; default 2. */
    readonly replicas: number;
    /** Topology spread over node hostnames: `required` (default) or `preferred`. */
    readonly spread: "required" | "preferred";
}

export type PortProtocol = "TCP" | "UDP";

export interface PortConfig {
    readonly port: number;
    /** Default TCP. */
    readonly protocol: PortProtocol;
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
    /**
     * The node leaves the cluster in this `pulumi up` (README, Day-2 "Remove a node"): drained, a
     * control-plane node's etcd member removed, its kubelet and containerd stopped and its keys,
     * certificates, kubeconfigs and manifests deleted, while it is still in the mesh; it is removed
     * from `nodes` in the next run. Default false.
     */
    readonly leaving: boolean;
    /** Host-network ports IPv4 clients reach through this node's NAT64 gateway; default none. IPv4 nodes only. */
    readonly ipv4Ports: readonly PortConfig[];
    /** This node's kubelet settings over cluster.kubelet, key by key; default none. */
    readonly kubelet?: KubeletSettingsInput;
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
    /**
     * The server's SSH public host key, `<type> <base64>` (`ssh-ed25519 AAAA…`): every connection
     * pins it (any other key is refused), and it is the host's identity: a reinstalled server has a
     * new one, and a new value re-applies every step on it.
     */
    readonly hostKey: string;
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

export interface ServicePortConfig {
    /** Default `<protocol>-<port>` in lower case. */
    readonly name?: string;
    readonly port: number;
    /** Default `port`. */
    readonly targetPort?: number;
    readonly protocol: PortProtocol;
}

export interface WorkloadConfig {
    readonly image: string;
    /** Container args; default none. */
    readonly args: readonly string[];
    /** Default 1. */
    readonly replicas: number;
}

/** A ClusterIP service on public hosts' addresses (externalIPs), published by DNS records. */
export interface ServiceConfig {
    readonly name: string;
    /** Default "default". */
    readonly namespace: string;
    /** Node names whose public addresses carry the service. */
    readonly hosts: readonly string[];
    readonly ports: readonly ServicePortConfig[];
    /** The name the published records are for; default none (records listed without a name). */
    readonly dnsName?: string;
    /** A Deployment to run as the backend; default none (the service selects existing pods). */
    readonly workload?: WorkloadConfig;
}

export interface StackConfig {
    readonly cluster: ClusterConfig;
    /** Sorted by index, so output order never depends on the order in the file. */
    readonly nodes: readonly NodeConfig[];
    /** Public services (top-level `services`); default none. */
    readonly services: readonly ServiceConfig[];
}

export function hasRole(node: { roles: readonly Role[] }, role: Role): boolean {
    return node.roles.includes(role);
}

export function hasIpv4(node: NodeConfig): boolean {
    return node.kind === "dedicated" ? node.ipv4 !== undefined : node.ipv4;
}
