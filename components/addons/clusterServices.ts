// The cluster's own services as Kubernetes objects: kube-proxy on every node, CoreDNS with DNS64 at
// the fixed service address, the namespaces of the public services, and the admission policy that
// limits externalIPs to the hosts' public addresses, off their own ports, in the namespaces the
// stack names. The Kubernetes provider
// is built from the cluster's admin kubeconfig, so one `pulumi up` goes from servers to a cluster
// with its services: nothing here talks to the cluster before every kubelet runs.
import type { PortConfig } from "../config/types";
import * as command from "@pulumi/command";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { sha256 } from "../common/hash";
import type { ClusterConfig, CorednsConfig } from "../config/types";
import { Host, hostStep } from "../hosts/host";
import { createObject } from "./kinds";
import { clusterServiceObjects } from "./render/clusterObjects";
import { EXTERNAL_IPS_POLICY, allowedExternalIps, externalIpPolicy, externalIpPolicyBinding } from "./render/externalIps";
import { renderExternalIpsInForce } from "./render/externalIpsInForce";
import { KubernetesObject, objectId } from "./render/objects";
import type { Gateway } from "./render/plan";
import { withServer } from "./render/providerKubeconfig";

// Exactly what the services read. The first nine are ClusterServiceInputs, the objects' inputs
// (render/clusterObjects.ts: clusterServiceInputs builds them from a stack's config and plan).
export interface ClusterServicesArgs {
    /** cluster.kubernetesVersion: kube-proxy's image is this release's, CoreDNS's the one it ships with. */
    readonly kubernetesVersion: string;
    /** cluster.kubeProxy: conntrack entries per core (unset keeps kube-proxy's default), the public NodePorts. */
    readonly kubeProxy: ClusterConfig["kubeProxy"];
    /** cluster.ulaPrefix: where NodePorts answer unless some are public (render/kubeProxy.ts). */
    readonly clusterUla: string;
    /** cluster.coredns: CoreDNS's replicas and their topology spread over nodes. */
    readonly coredns: CorednsConfig;
    /** cluster.upstreamDns: where CoreDNS forwards names outside the cluster. */
    readonly upstreamDns: readonly string[];
    /** CoreDNS's service address (AddressPlan.cluster.dns: cluster.dnsServiceAddress or `<cluster>::a`). */
    readonly dnsAddress: bigint;
    /**
     * The NAT64 gateway CoreDNS's dns64 synthesises into (render/plan.ts dns64Gateway:
     * cluster.dns64Gateway or the IPv4 host with the lowest index); null without IPv4 hosts (no dns64).
     */
    readonly dns64Gateway: Gateway | null;
    /** The namespace of each public service (`services`); the ones Kubernetes does not create are created here. */
    readonly serviceNamespaces: readonly string[];
    /** cluster.externalIPNamespaces: with serviceNamespaces, where the policy lets Services use externalIPs. */
    readonly externalIPNamespaces: readonly string[];
    /** cluster.adminPrefixes: read only to warn when none is IPv6 (the runner then cannot reach the apiservers). */
    readonly adminPrefixes: readonly string[];
    /** cluster.kubernetesProviderServer: the apiserver URL the provider uses; default the kubeconfig's. */
    readonly kubernetesProviderServer?: string;
    /**
     * The cluster's admin kubeconfig (a secret). In the program: KubernetesCluster.adminKubeconfig;
     * in the lab's engine stack: the kubeconfig the cluster lab wrote.
     */
    readonly kubeconfig: pulumi.Input<string>;
    /**
     * What must be done before the provider talks to the cluster: in the program every apiserver
     * serving and every kubelet running (KubernetesCluster.controlPlaneReady and each node's
     * `started`); nothing in the lab, whose cluster exists before the stack runs.
     */
    readonly dependsOn: readonly pulumi.Input<pulumi.Resource>[];
    /** Every host's public IPv6 address: the only externalIPs a Service may use (hcloud's known after creation). */
    readonly publicAddresses: readonly pulumi.Input<string>[];
    /** Every node's ipv4Ports: the policy keeps them, like the hosts' fixed ports, from externalIPs Services. */
    readonly ipv4Ports?: readonly PortConfig[];
    /**
     * Where the policy is confirmed in force before a Service needs it (render/externalIpsInForce.ts):
     * a control-plane host (KubernetesCluster.adminHost) asks every apiserver
     * (KubernetesCluster.apiserverMeshEndpoints) to admit the allowed externalIPs.
     */
    readonly policyCheck: { readonly host: Host; readonly apiservers: readonly string[] };
}

export class ClusterServices extends pulumi.ComponentResource {
    /** The Kubernetes provider every object of the program uses (PublicService too); its kubeconfig is a secret. */
    public readonly provider: k8s.Provider;
    /**
     * Done when every apiserver enforces the externalIPs admission policy with the current host
     * addresses (after its binding). Public services wait for it: a new host's address must be
     * allowed everywhere first.
     */
    public readonly externalIpPolicy: pulumi.CustomResource;
    /** Namespaces created for public services, by name (createPublicServices puts each service in its own). */
    public readonly namespaces: ReadonlyMap<string, pulumi.CustomResource>;
    /** The NAT64 /96 CoreDNS synthesises into, or null without IPv4 hosts. */
    public readonly dns64Prefix: string | null;
    /** The node whose gateway that /96 belongs to, or null. */
    public readonly dns64Gateway: string | null;

    constructor(name: string, args: ClusterServicesArgs, opts?: pulumi.ComponentResourceOptions) {
        super("v6k8s:addons:ClusterServices", name, {}, opts);
        // The runner may reach the apiservers another way than the admin kubeconfig's address.
        const kubeconfig = pulumi.output(args.kubeconfig).apply((k) => withServer(k, args.kubernetesProviderServer));
        this.provider = new k8s.Provider(
            `${name}-provider`,
            {
                kubeconfig,
                // A changed kubeconfig (new address, re-issued admin certificate) updates the provider
                // instead of replacing it, which would replace every object in the cluster.
                clusterIdentifier: "v6k8s",
                // ConfigMaps change in place: CoreDNS's `reload` picks up a new Corefile without a restart.
                enableConfigMapMutable: true,
            },
            {
                parent: this,
                // The kubeconfig exists before the cluster does: wait until every apiserver serves and
                // every kubelet runs before the provider talks to the cluster.
                dependsOn: [...args.dependsOn],
            },
        );
        // The apiservers listen on IPv6 only, behind firewalls open to adminPrefixes: without an IPv6
        // prefix there (or another way in) the provider will wait for a cluster it cannot reach.
        if (!args.adminPrefixes.some((p) => p.includes(":")) && args.kubernetesProviderServer === undefined) {
            pulumi.log.warn(
                "cluster.adminPrefixes lists no IPv6 prefix, so the apiservers are closed to the Pulumi runner " +
                    'and the cluster services cannot be applied (README, "Reaching the apiserver")',
                this,
            );
        }
        const objects = clusterServiceObjects(args);
        const create = (o: KubernetesObject, extra: pulumi.CustomResourceOptions = {}) =>
            createObject(`${name}-${objectId(o)}`, o, o, { provider: this.provider, parent: this, ...extra });

        // The kube-proxy DaemonSet: done when it runs on every node.
        const kubeProxy = objects.kubeProxy.map((o) => create(o)).find((_, i) => objects.kubeProxy[i].kind === "DaemonSet")!;
        // CoreDNS reaches the apiserver through the `kubernetes` service address, which only
        // kube-proxy makes work: start it once kube-proxy is rolled out.
        objects.coredns.forEach((o) => create(o, o.kind === "Deployment" ? { dependsOn: [kubeProxy] } : {}));
        this.namespaces = new Map(objects.namespaces.map((o) => [o.metadata!.name!, create(o)]));
        // The policy's address list is known only once hcloud servers exist: built inside an apply.
        const policy = pulumi
            .all([...args.publicAddresses])
            .apply((addresses) => externalIpPolicy(addresses, args.ipv4Ports ?? [], objects.externalIpNamespaces));
        const policyResource = createObject(
            `${name}-validatingadmissionpolicy-${EXTERNAL_IPS_POLICY}`,
            { apiVersion: "admissionregistration.k8s.io/v1", kind: "ValidatingAdmissionPolicy" },
            { metadata: policy.metadata, spec: policy.spec },
            { provider: this.provider, parent: this },
        );
        const binding = create(externalIpPolicyBinding(), { dependsOn: [policyResource] });
        // Done only when every apiserver enforces the new list (it applies policies from its own watch).
        const inForce = pulumi.all([...args.publicAddresses]).apply((addresses) =>
            renderExternalIpsInForce({
                allowed: allowedExternalIps(addresses),
                namespace: objects.probeNamespace,
                apiservers: args.policyCheck.apiservers,
            }),
        );
        // The probe runs in a public service's namespace: it must exist (the apiserver refuses a
        // dry run in a missing one).
        this.externalIpPolicy = new command.remote.Command(
            `${name}-external-ips-in-force`,
            hostStep(args.policyCheck.host, { create: inForce, triggers: [inForce.apply(sha256)] }),
            { parent: this, dependsOn: [policyResource, binding, ...this.namespaces.values()] },
        );
        this.dns64Prefix = objects.dns64Gateway?.nat64.toString() ?? null;
        this.dns64Gateway = objects.dns64Gateway?.name ?? null;
        this.registerOutputs({
            provider: this.provider.urn,
            externalIpPolicy: this.externalIpPolicy.urn,
            namespaces: Object.fromEntries([...this.namespaces].map(([n, ns]) => [n, ns.urn])),
            dns64Prefix: this.dns64Prefix,
            dns64Gateway: this.dns64Gateway,
        });
    }
}
