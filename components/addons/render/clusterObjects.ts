// Every cluster-service object of a stack, from the validated config and the address plan alone:
// what ClusterServices creates, and what the golden and schema tests render. Pure: no Pulumi.
import type { StackConfig } from "../../config/types";
import { APISERVER_PROXY_PORT, DEFAULT_CLUSTER_DOMAIN } from "../../controlplane/render/defaults";
import type { AddressPlan } from "../../network/plan";
import { formatV6 } from "../../network/prefix";
import { corednsObjects } from "./coredns";
import { BUILTIN_NAMESPACES, MANAGED_BY, addonImages } from "./defaults";
import { kubeProxyObjects } from "./kubeProxy";
import type { INamespace } from "./objects";
import { dns64Gateway } from "./plan";

/** Every object, in creation order, from config and plan alone (the golden test renders the same). */
export function clusterServiceObjects(config: StackConfig, plan: AddressPlan) {
    const images = addonImages(config.cluster.kubernetesVersion);
    const gateway = dns64Gateway(config, plan);
    const namespaces = [...new Set(config.services.map((s) => s.namespace))].filter((n) => !BUILTIN_NAMESPACES.includes(n)).sort();
    return {
        kubeProxy: kubeProxyObjects({ image: images.kubeProxy, apiserverProxyPort: APISERVER_PROXY_PORT, conntrackMaxPerCore: config.cluster.kubeProxy.conntrackMaxPerCore }),
        coredns: corednsObjects({
            image: images.coredns,
            serviceAddress: formatV6(plan.cluster.dns),
            clusterDomain: DEFAULT_CLUSTER_DOMAIN,
            dns64Prefix: gateway?.nat64 ?? null,
            upstreams: config.cluster.upstreamDns,
            replicas: config.cluster.coredns.replicas,
            spread: config.cluster.coredns.spread,
        }),
        namespaces: namespaces.map((name): INamespace => ({ apiVersion: "v1", kind: "Namespace", metadata: { name, labels: { ...MANAGED_BY } } })),
        dns64Gateway: gateway,
    };
}
