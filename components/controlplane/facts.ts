// Builds the renderers' ClusterFacts and NodeFacts from the validated config and address plan.
import type { StackConfig } from "../config/types";
import type { AddressPlan } from "../network/plan";
import { formatV6 } from "../network/prefix";
import { APISERVER_PORT, APISERVER_PROXY_PORT, DEFAULT_CLUSTER_DOMAIN, defaultImages } from "./render/defaults";
import type { ClusterFacts, NodeFacts } from "./render/inputs";
import { controlPlaneTainted } from "./render/nodeRoles";

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
    };
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
