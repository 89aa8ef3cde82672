// What the control-plane and kubelet renderers need, resolved to plain values: strings, and the
// service range as a Prefix (parsed once by the plan, printed only in the files). Pure: no Pulumi.
import type { KubeletSettings } from "../../config/kubeletSettings";
import type { Prefix } from "../../network/prefix";

/** A control-plane member as every other node sees it. */
export interface ControlPlaneMember {
    readonly name: string;
    /** The node's mesh address (its ULA ::1): etcd peers, apiserver advertise address. */
    readonly meshAddress: string;
    /**
     * Set on a member that joined a running etcd (joinEtcd): its place among those, by node index
     * (0 first). Absent: a member of etcd's first bootstrap.
     */
    readonly joinOrder?: number;
}

export interface ClusterFacts {
    /** "1.34.2" (no v). */
    readonly kubernetesVersion: string;
    /** The service range, `<cluster>::/112` (typed from the plan to the flags that print it). */
    readonly serviceRange: Prefix;
    /** The CoreDNS service address. */
    readonly dnsAddress: string;
    readonly clusterDomain: string;
    /** All control-plane members, sorted by name (etcd initial-cluster, proxy backends). */
    readonly controlPlane: readonly ControlPlaneMember[];
    /** Port the apiservers listen on (all addresses). */
    readonly apiserverPort: number;
    /** Port of the node-local apiserver proxy on [::1]. */
    readonly apiserverProxyPort: number;
    /** Container images, by component. */
    readonly images: Images;
    /**
     * Control-plane nodes leaving in this run (`leaving: true`): no longer members of anything the
     * renderers list, but still in the bootstrap members' `--initial-cluster` until they are gone
     * from `nodes` (etcd.ts says why); default none.
     */
    readonly etcdLeaving?: readonly ControlPlaneMember[];
    /** etcd `--initial-cluster-token`, read only when a member first starts; default "v6k8s-etcd". */
    readonly etcdClusterToken?: string;
    /**
     * Annotations added to every static pod that reads certificates (all but the apiserver proxy);
     * default none. Components read their certificates at start, so changing a value here (e.g.
     * the PKI generation) makes the kubelet restart them.
     */
    readonly staticPodAnnotations?: Readonly<Record<string, string>>;
    /** Pull-through mirrors by registry host (containerd hosts.toml); default none. */
    readonly registryMirrors?: Readonly<Record<string, string>>;
}

export interface Images {
    readonly etcd: string;
    readonly apiserver: string;
    readonly controllerManager: string;
    readonly scheduler: string;
    readonly apiserverProxy: string;
    readonly pause: string;
}

/** The node being rendered. */
export interface NodeFacts {
    readonly name: string;
    readonly meshAddress: string;
    /** Its public IPv6 address. */
    readonly publicAddress: string;
    readonly controlPlane: boolean;
    /**
     * Registers with the control-plane NoSchedule taint (render/nodeRoles.ts: control-plane only,
     * without the worker role or cluster.scheduleOnControlPlane); default false.
     */
    readonly controlPlaneTaint?: boolean;
    /** Reservations, eviction and shutdown grace (config/kubeletSettings.ts); default DEFAULT_KUBELET. */
    readonly kubelet?: KubeletSettings;
}
