// Builds the renderers' ClusterFacts and NodeFacts from the validated config and address plan.
import type { StackConfig } from "../config/types";
import type { AddressPlan } from "../network/plan";
import { formatV6 } from "../network/prefix";
import { APISERVER_PROXY_PORT, DEFAULT_CLUSTER_DOMAIN, defaultImages } from "./render/defaults";
import type { ClusterFacts, NodeFacts } from "./render/inputs";
import type { BinaryVersions } from "../runtime/render/installBinaries";
import type { PkiInput } from "./pki/profiles";
import { ControlPlaneNodeRole, controlPlaneTainted } from "./render/nodeRoles";
import { APISERVER_PORT } from "../common/ports";

export function clusterFacts(config: StackConfig, plan: AddressPlan): ClusterFacts {
    const controlPlane = plan.nodes
        .filter((n) => n.roles.includes("control-plane"))
        .map((n) => ({ name: n.name, meshAddress: formatV6(n.wireguard) }))
        .sort((a, b) => a.name.localeCompare(b.name));
    return {
        kubernetesVersion: config.cluster.kubernetesVersion,
        serviceRange: plan.cluster.services.toString(),
        dnsAddress: formatV6(plan.cluster.dns),
        clusterDomain: DEFAULT_CLUSTER_DOMAIN,
        controlPlane,
        apiserverPort: APISERVER_PORT,
        apiserverProxyPort: APISERVER_PROXY_PORT,
        images: defaultImages(config.cluster.kubernetesVersion),
        registryMirrors: config.cluster.registryMirrors,
    };
}

/** The PKI's input: every node with its mesh and public address (in config order), the apiserver names. */
export function pkiInput(config: StackConfig, plan: AddressPlan, publicAddresses: readonly string[]): PkiInput {
    return {
        nodes: config.nodes.map((n, i) => ({
            name: n.name, controlPlane: n.roles.includes("control-plane"), meshAddress: formatV6(plan.nodes[i].wireguard), publicAddress: publicAddresses[i],
        })),
        apiserverServiceAddress: formatV6(plan.cluster.apiserverService),
        clusterDomain: DEFAULT_CLUSTER_DOMAIN,
        apiserverExtraNames: config.cluster.apiserverExtraNames,
    };
}

/** What install-binaries.sh installs, and from where. */
export function binaryVersions(config: StackConfig): BinaryVersions {
    const c = config.cluster;
    return { kubernetes: c.kubernetesVersion, containerd: c.containerdVersion, runc: c.runcVersion, bases: c.releaseBases };
}

/** `scheduleOnControlPlane`: cluster.scheduleOnControlPlane (control-plane nodes then take workloads). */
export function nodeFacts(plan: AddressPlan["nodes"][number], publicAddress: string, scheduleOnControlPlane: boolean): NodeFacts {
    return {
        name: plan.name,
        meshAddress: formatV6(plan.wireguard),
        publicAddress,
        controlPlane: plan.roles.includes("control-plane"),
        controlPlaneTaint: controlPlaneTainted(plan.roles, scheduleOnControlPlane),
    };
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
export function controlPlaneNodeRoles(config: StackConfig, names?: readonly string[]): ControlPlaneNodeRole[] {
    const cp = config.nodes.filter((n) => n.roles.includes("control-plane"));
    const ordered = names ? names.map((name) => cp.find((n) => n.name === name)!) : cp;
    return ordered.map((n) => ({ name: n.name, tainted: controlPlaneTainted(n.roles, config.cluster.scheduleOnControlPlane) }));
}
