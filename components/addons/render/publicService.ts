// A public service the design's way: a ClusterIP Service whose externalIPs are the public IPv6
// addresses of chosen hosts (kube-proxy on every node DNATs traffic for them to the endpoints),
// optionally with a Deployment as its backend. Clients balance between the hosts through DNS.
import type { ServicePortConfig, WorkloadConfig } from "../../config/types";
import { v6 } from "../../common/net";
import { MANAGED_BY } from "./defaults";
import type { IDeployment, IService } from "./objects";

/** The label the Service selects on and the Deployment's pods carry. */
export const NAME_LABEL = "app.kubernetes.io/name";

export interface PublicServiceSpec {
    readonly name: string;
    readonly namespace: string;
    readonly ports: readonly ServicePortConfig[];
    /** A Deployment to run behind the Service; default none (the Service selects `NAME_LABEL=name`). */
    readonly workload?: WorkloadConfig;
}

export function portName(p: ServicePortConfig): string {
    return p.name ?? `${p.protocol.toLowerCase()}-${p.port}`;
}

function labels(spec: PublicServiceSpec) {
    return { [NAME_LABEL]: spec.name };
}

/** The Service; `externalIPs` are the public hosts' IPv6 addresses, in the order given. */
export function publicServiceObject(spec: PublicServiceSpec, externalIPs: readonly string[]): IService {
    if (externalIPs.length === 0) throw new RangeError(`service ${spec.namespace}/${spec.name}: no public host`);
    return {
        apiVersion: "v1",
        kind: "Service",
        metadata: { name: spec.name, namespace: spec.namespace, labels: { ...labels(spec), ...MANAGED_BY } },
        spec: {
            type: "ClusterIP",
            selector: labels(spec),
            ipFamilies: ["IPv6"],
            ipFamilyPolicy: "SingleStack",
            externalIPs: externalIPs.map((a) => v6(a, `service ${spec.name} externalIP`)),
            ports: spec.ports.map((p) => ({ name: portName(p), port: p.port, targetPort: p.targetPort ?? p.port, protocol: p.protocol })),
        },
    };
}

/** The backend Deployment, spread over nodes when it can be. */
export function publicWorkloadObject(spec: PublicServiceSpec, workload: WorkloadConfig): IDeployment {
    const l = labels(spec);
    return {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: spec.name, namespace: spec.namespace, labels: { ...l, ...MANAGED_BY } },
        spec: {
            replicas: workload.replicas,
            selector: { matchLabels: l },
            template: {
                metadata: { labels: l },
                spec: {
                    topologySpreadConstraints: [
                        {
                            maxSkew: 1,
                            topologyKey: "kubernetes.io/hostname",
                            whenUnsatisfiable: "ScheduleAnyway",
                            labelSelector: { matchLabels: l },
                        },
                    ],
                    containers: [
                        {
                            name: spec.name,
                            image: workload.image,
                            imagePullPolicy: "IfNotPresent",
                            ...(workload.args.length > 0 && { args: [...workload.args] }),
                            ports: spec.ports.map((p) => ({
                                name: portName(p),
                                containerPort: p.targetPort ?? p.port,
                                protocol: p.protocol,
                            })),
                            securityContext: { allowPrivilegeEscalation: false },
                            resources: { requests: { cpu: "10m", memory: "16Mi" } },
                        },
                    ],
                },
            },
        },
    };
}
