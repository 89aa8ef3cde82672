// A reusable public service: a ClusterIP Service on chosen hosts' public IPv6 addresses
// (externalIPs), optionally with its backend Deployment, and the DNS records that publish it.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { ServiceConfig, ServicePortConfig, WorkloadConfig } from "../config/types";
import { createObject } from "./kinds";
import type { ClusterServices } from "./clusterServices";
import { ServiceRecords, serviceRecords } from "./render/dnsRecords";
import { publicServiceObject, publicWorkloadObject } from "./render/publicService";

/** What a public service needs of a host (a Host of the program, or a lab host's addresses). */
export interface PublicServiceHost {
    readonly name: string;
    /** The host's public IPv6 address: an externalIP of the Service and its AAAA record. */
    readonly publicAddress: pulumi.Input<string>;
    /** The host's public IPv4 address, if it has one: its A record. */
    readonly ipv4: pulumi.Input<string | undefined | null>;
}

export interface PublicServiceArgs {
    /** The cluster's Kubernetes provider (ClusterServices.provider). */
    readonly provider: k8s.Provider;
    /** The Kubernetes name of the Service (and its Deployment). */
    readonly name: string;
    /** Namespace; pass a Namespace's `metadata.name` to create the service after it. */
    readonly namespace: pulumi.Input<string>;
    /** The Service's ports (and, with a workload, its container's); from the config's `services` entry. */
    readonly ports: readonly ServicePortConfig[];
    /** The hosts whose public addresses carry the service (externalIPs) and get DNS records. */
    readonly hosts: readonly PublicServiceHost[];
    /** The name the records are published under; default none (records listed without a name). */
    readonly dnsName?: string;
    /** A backend Deployment; default none (the Service selects pods labelled `app.kubernetes.io/name=<name>`). */
    readonly workload?: WorkloadConfig;
    /** What the Service waits for: the externalIPs admission policy (ClusterServices.externalIpPolicy); default nothing. */
    readonly after?: readonly pulumi.Resource[];
}

export class PublicService extends pulumi.ComponentResource {
    /** AAAA for every host, A for every host with IPv4: publish them for client-side load balancing. */
    public readonly records: pulumi.Output<ServiceRecords>;

    constructor(name: string, args: PublicServiceArgs, opts?: pulumi.ComponentResourceOptions) {
        super("v6k8s:addons:PublicService", name, {}, opts);
        const child = { provider: args.provider, parent: this };
        const k8sName = args.name;
        const ipv6 = pulumi.all(args.hosts.map((h) => h.publicAddress));
        const spec = pulumi
            .output(args.namespace)
            .apply((namespace) => ({ name: k8sName, namespace, ports: args.ports, workload: args.workload }));
        const service = pulumi.all([spec, ipv6]).apply(([s, ips]) => publicServiceObject(s, ips));
        createObject(
            `${name}-service`,
            { apiVersion: "v1", kind: "Service" },
            {
                metadata: service.metadata,
                spec: service.spec,
            },
            { ...child, dependsOn: [...(args.after ?? [])] },
        );
        if (args.workload) {
            const workload = args.workload;
            const deployment = spec.apply((s) => publicWorkloadObject(s, workload));
            createObject(
                `${name}-deployment`,
                { apiVersion: "apps/v1", kind: "Deployment" },
                {
                    metadata: deployment.metadata,
                    spec: deployment.spec,
                },
                child,
            );
        }
        this.records = pulumi.all([spec, pulumi.all(args.hosts.map((h) => pulumi.all([h.publicAddress, h.ipv4])))]).apply(([s, addrs]) =>
            serviceRecords(
                `${s.namespace}/${k8sName}`,
                args.dnsName ?? null,
                args.hosts.map((h, i) => ({ name: h.name, ipv6: addrs[i][0], ipv4: addrs[i][1] ?? null })),
            ),
        );
        this.registerOutputs({ records: this.records });
    }
}

/** One PublicService per `services` entry of the config, in its namespace (created by ClusterServices). */
export function createPublicServices(
    services: readonly ServiceConfig[],
    hosts: readonly PublicServiceHost[],
    cluster: ClusterServices,
): PublicService[] {
    const byName = new Map(hosts.map((h) => [h.name, h]));
    return services.map((s) => {
        const ns = cluster.namespaces.get(s.namespace);
        return new PublicService(`svc-${s.namespace}-${s.name}`, {
            provider: cluster.provider,
            name: s.name,
            namespace: ns ? (ns as k8s.core.v1.Namespace).metadata.name : s.namespace,
            ports: s.ports,
            hosts: s.hosts.map((h) => byName.get(h)!),
            dnsName: s.dnsName,
            workload: s.workload,
            after: [cluster.externalIpPolicy],
        });
    });
}
