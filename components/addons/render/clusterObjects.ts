// Every cluster-service object of a stack, from the settings ClusterServices reads: what it
// creates, and what the golden and schema tests render. Pure: no Pulumi.
import type { ClusterConfig, CorednsConfig, StackConfig } from "../../config/types";
import { APISERVER_PROXY_PORT, DEFAULT_CLUSTER_DOMAIN } from "../../controlplane/render/defaults";
import type { AddressPlan } from "../../network/plan";
import { formatV6 } from "../../network/prefix";
import { corednsObjects } from "./coredns";
import { BUILTIN_NAMESPACES, MANAGED_BY, addonImages } from "./defaults";
import { externalIpNamespaces } from "./externalIps";
import { kubeProxyNodePortAddresses, kubeProxyObjects } from "./kubeProxy";
import type { INamespace } from "./objects";
import { Gateway, dns64Gateway } from "./plan";

/** What the cluster-service objects are rendered from (ClusterServicesArgs has these fields, documented). */
export interface ClusterServiceInputs {
    readonly kubernetesVersion: string;
    readonly kubeProxy: ClusterConfig["kubeProxy"];
    /** The cluster's /64 ULA, where NodePorts answer (kubeProxyNodePortAddresses). */
    readonly clusterUla: string;
    readonly coredns: CorednsConfig;
    readonly upstreamDns: readonly string[];
    /** CoreDNS's service address (AddressPlan.cluster.dns). */
    readonly dnsAddress: bigint;
    readonly dns64Gateway: Gateway | null;
    /** The public services' namespaces, as listed (duplicates and built-in ones allowed). */
    readonly serviceNamespaces: readonly string[];
    /** cluster.externalIPNamespaces: more namespaces whose Services may use externalIPs. */
    readonly externalIPNamespaces: readonly string[];
}

/**
 * A stack's ClusterServiceInputs: the one mapping from config and plan, used by the program
 * (index.ts), the lab and the tests, so the golden files show what the program creates.
 */
export function clusterServiceInputs(config: Pick<StackConfig, "cluster" | "services">, plan: AddressPlan): ClusterServiceInputs {
    const c = config.cluster;
    return {
        kubernetesVersion: c.kubernetesVersion,
        kubeProxy: c.kubeProxy,
        clusterUla: c.ulaPrefix.toString(),
        coredns: c.coredns,
        upstreamDns: c.upstreamDns,
        dnsAddress: plan.cluster.dns,
        dns64Gateway: dns64Gateway(config, plan),
        serviceNamespaces: config.services.map((s) => s.namespace),
        externalIPNamespaces: c.externalIPNamespaces,
    };
}

/** Every object, in creation order (the golden test renders the same). */
export function clusterServiceObjects(input: ClusterServiceInputs) {
    const images = addonImages(input.kubernetesVersion);
    const gateway = input.dns64Gateway;
    const namespaces = [...new Set(input.serviceNamespaces)].filter((n) => !BUILTIN_NAMESPACES.includes(n)).sort();
    return {
        kubeProxy: kubeProxyObjects({
            image: images.kubeProxy,
            apiserverProxyPort: APISERVER_PROXY_PORT,
            conntrackMaxPerCore: input.kubeProxy.conntrackMaxPerCore,
            nodePortAddresses: kubeProxyNodePortAddresses(input.clusterUla, input.kubeProxy.publicNodePorts),
        }),
        coredns: corednsObjects({
            image: images.coredns,
            serviceAddress: formatV6(input.dnsAddress),
            clusterDomain: DEFAULT_CLUSTER_DOMAIN,
            dns64Prefix: gateway?.nat64 ?? null,
            upstreams: input.upstreamDns,
            replicas: input.coredns.replicas,
            spread: input.coredns.spread,
        }),
        namespaces: namespaces.map((name): INamespace => ({
            apiVersion: "v1",
            kind: "Namespace",
            metadata: { name, labels: { ...MANAGED_BY } },
        })),
        dns64Gateway: gateway,
        /** Where the externalIPs policy lets Services use externalIPs (render/externalIps.ts). */
        externalIpNamespaces: externalIpNamespaces(input.serviceNamespaces, input.externalIPNamespaces),
        /** Where the policy's in-force probe is dry-run: a public service's namespace, or null without one. */
        probeNamespace: [...input.serviceNamespaces].sort()[0] ?? null,
    };
}
