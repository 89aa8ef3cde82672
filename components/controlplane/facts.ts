// Builds the renderers' ClusterFacts and NodeFacts from the parts of the config and address plan
// they read (the program hands KubernetesCluster only those; the offline render passes the config's).
import type { KubeletSettings } from "../config/kubeletSettings";
import type { ClusterConfig, NodeConfig } from "../config/types";
import type { AddressPlan, ClusterPlan, NodePlan } from "../network/plan";
import { formatV6 } from "../network/prefix";
import { APISERVER_PROXY_PORT, DEFAULT_CLUSTER_DOMAIN, defaultImages, etcdRelease } from "./render/defaults";
import type { ClusterFacts, NodeFacts } from "./render/inputs";
import type { BinaryVersions } from "../runtime/render/installBinaries";
import type { PkiInput } from "./pki/profiles";
import { ControlPlaneNodeRole, controlPlaneTainted } from "./render/nodeRoles";
import { APISERVER_PORT } from "../common/ports";

/**
 * What the control plane reads of the address plan: the service /112, the apiserver's and CoreDNS's
 * service addresses, and every node's name, roles and mesh address (in config order). An
 * AddressPlan is one; KubernetesCluster builds it from its hosts' plans.
 */
export interface ControlPlanePlan {
    readonly cluster: Pick<ClusterPlan, "services" | "dns" | "apiserverService">;
    readonly nodes: readonly Pick<NodePlan, "name" | "index" | "roles" | "wireguard">[];
}

/** Which control-plane nodes of the plan join a running etcd (joinEtcd) and which leave in this run. */
export interface EtcdMembershipInput {
    /** Names, in any order: joiners are ordered by their node index (stable forever, unlike config order). */
    readonly joining: readonly string[];
    readonly leaving: readonly string[];
}

export function clusterFacts(
    cluster: Pick<ClusterConfig, "kubernetesVersion" | "registryMirrors"> & { readonly etcdVersion?: string },
    plan: ControlPlanePlan,
    etcd: EtcdMembershipInput = { joining: [], leaving: [] },
): ClusterFacts {
    // A leaving member keeps its place among the joiners: those after it list it until it is gone.
    const joiners = plan.nodes
        .filter((n) => etcd.joining.includes(n.name))
        .sort((a, b) => a.index - b.index)
        .map((n) => n.name);
    const member = (n: ControlPlanePlan["nodes"][number]) => {
        const joinOrder = joiners.indexOf(n.name);
        return { name: n.name, meshAddress: formatV6(n.wireguard), ...(joinOrder < 0 ? {} : { joinOrder }) };
    };
    const cp = plan.nodes.filter((n) => n.roles.includes("control-plane"));
    const controlPlane = cp
        .filter((n) => !etcd.leaving.includes(n.name))
        .map(member)
        .sort((a, b) => a.name.localeCompare(b.name));
    const etcdLeaving = cp.filter((n) => etcd.leaving.includes(n.name)).map(member);
    return {
        ...(etcdLeaving.length ? { etcdLeaving } : {}),
        kubernetesVersion: cluster.kubernetesVersion,
        serviceRange: plan.cluster.services,
        dnsAddress: formatV6(plan.cluster.dns),
        clusterDomain: DEFAULT_CLUSTER_DOMAIN,
        controlPlane,
        apiserverPort: APISERVER_PORT,
        apiserverProxyPort: APISERVER_PROXY_PORT,
        images: defaultImages(cluster.kubernetesVersion, cluster.etcdVersion),
        registryMirrors: cluster.registryMirrors,
    };
}

/**
 * The PKI's input: every node with its mesh and public address (`publicAddresses` in the plan's
 * node order, i.e. config order), the apiserver names.
 */
export function pkiInput(
    cluster: Pick<ClusterConfig, "apiserverExtraNames">,
    plan: ControlPlanePlan,
    publicAddresses: readonly string[],
): PkiInput {
    return {
        nodes: plan.nodes.map((n, i) => ({
            name: n.name,
            controlPlane: n.roles.includes("control-plane"),
            meshAddress: formatV6(n.wireguard),
            publicAddress: publicAddresses[i],
        })),
        apiserverServiceAddress: formatV6(plan.cluster.apiserverService),
        clusterDomain: DEFAULT_CLUSTER_DOMAIN,
        apiserverExtraNames: cluster.apiserverExtraNames,
    };
}

/** What install-binaries.sh installs, and from where. */
export function binaryVersions(
    c: Pick<ClusterConfig, "kubernetesVersion" | "containerdVersion" | "runcVersion" | "releaseBases"> & { readonly etcdVersion?: string },
): BinaryVersions {
    return {
        kubernetes: c.kubernetesVersion,
        containerd: c.containerdVersion,
        runc: c.runcVersion,
        etcd: etcdRelease(c.kubernetesVersion, c.etcdVersion),
        bases: c.releaseBases,
    };
}

/**
 * `scheduleOnControlPlane`: cluster.scheduleOnControlPlane (control-plane nodes then take workloads);
 * `kubelet`: the node's settings (kubeletSettingsOf its block and cluster.kubelet).
 */
export function nodeFacts(
    plan: AddressPlan["nodes"][number],
    publicAddress: string,
    scheduleOnControlPlane: boolean,
    kubelet: KubeletSettings,
): NodeFacts {
    return {
        kubelet,
        name: plan.name,
        meshAddress: formatV6(plan.wireguard),
        publicAddress,
        controlPlane: plan.roles.includes("control-plane"),
        controlPlaneTaint: controlPlaneTainted(plan.roles, scheduleOnControlPlane),
    };
}

/** What decides the control-plane roles: the nodes' names and roles, cluster.scheduleOnControlPlane (a StackConfig has them). */
export interface NodeRolesInput {
    readonly nodes: readonly Pick<NodeConfig, "name" | "roles">[];
    readonly cluster: Pick<ClusterConfig, "scheduleOnControlPlane">;
}

/**
 * The order the control-plane nodes start in, one at a time: members joining a running etcd first
 * (after `etcdctl member add` the cluster lacks a quorum until they start), then the others; each
 * group in the given order. Workers follow in groups of DEFAULT_WORKER_PARALLELISM.
 */
export function controlPlaneStartOrder<T>(nodes: readonly T[], controlPlane: (n: T) => boolean, joinEtcd: (n: T) => boolean): T[] {
    const cp = nodes.filter(controlPlane);
    return [...cp.filter(joinEtcd), ...cp.filter((n) => !joinEtcd(n))];
}

/** How many workers run their Kubernetes steps at once, unless KubernetesCluster is told otherwise. */
export const DEFAULT_WORKER_PARALLELISM = 2;

/**
 * The control-plane nodes as the cluster-wide wait labels and taints them, in the given order
 * (`names`, e.g. the program's start order); default config order.
 */
export function controlPlaneNodeRoles(config: NodeRolesInput, names?: readonly string[]): ControlPlaneNodeRole[] {
    const cp = config.nodes.filter((n) => n.roles.includes("control-plane"));
    const ordered = names ? names.map((name) => cp.find((n) => n.name === name)!) : cp;
    return ordered.map((n) => ({ name: n.name, tainted: controlPlaneTainted(n.roles, config.cluster.scheduleOnControlPlane) }));
}
