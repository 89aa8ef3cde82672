// The operator: kubectl with the admin kubeconfig, run from the lab's IPv6 internet (inside
// adminPrefixes) against the first control-plane node's public address, as an admin or the Pulumi
// runner reaches production. Also the cluster services, applied from exactly the objects the
// program creates.
import * as path from "path";
import { clusterServiceInputs, clusterServiceObjects } from "../../components/addons/render/clusterObjects";
import { externalIpPolicyObjects } from "../../components/addons/render/externalIps";
import type { KubernetesObject } from "../../components/addons/render/objects";
import { publicServiceObject, publicWorkloadObject } from "../../components/addons/render/publicService";
import type { StackConfig } from "../../components/config/types";
import type { AddressPlan } from "../../components/network/plan";
import { INET6_NS, STATE_DIR } from "../config";
import { inNs } from "../netns";
import { RunOptions, RunResult, run } from "../run";
import type { ClusterState, LabHost } from "../state";

export const KUBECONFIG = path.join(STATE_DIR, "admin.kubeconfig");

/** kubectl ARGS as the operator; `server` overrides the kubeconfig's apiserver. */
export function kubectl(cluster: ClusterState, args: readonly string[], opts: RunOptions & { ns?: string } = {}): Promise<RunResult> {
    return run(inNs(opts.ns ?? cluster.operatorNs, [cluster.kubectl, `--kubeconfig=${cluster.kubeconfig}`, ...args]), {
        timeoutMs: 120_000,
        ...opts,
    });
}

export async function kubectlJson<T>(cluster: ClusterState, args: readonly string[]): Promise<T> {
    return JSON.parse((await kubectl(cluster, [...args, "-o", "json"])).stdout) as T;
}

/** Every object the program applies to the cluster: cluster services, then the public services. */
export function programObjects(config: StackConfig, plan: AddressPlan, hosts: readonly LabHost[]): KubernetesObject[] {
    const o = clusterServiceObjects(clusterServiceInputs(config, plan));
    const addressOf = (name: string) => hosts.find((h) => h.name === name)!.publicAddress;
    const services = config.services.flatMap((s): KubernetesObject[] => {
        const spec = { name: s.name, namespace: s.namespace, ports: s.ports, workload: s.workload };
        return [publicServiceObject(spec, s.hosts.map(addressOf)), ...(s.workload ? [publicWorkloadObject(spec, s.workload)] : [])];
    });
    // The externalIPs admission policy (every host's public address, as ClusterServices builds it) before the services.
    const policy = externalIpPolicyObjects(
        hosts.map((h) => h.publicAddress),
        config.nodes.flatMap((n) => n.ipv4Ports),
        o.externalIpNamespaces,
    );
    return [...o.namespaces, ...o.kubeProxy, ...o.coredns, ...policy, ...services];
}

/** `kubectl apply` of the objects (server-side, so a re-apply is a no-op). */
export async function applyObjects(cluster: ClusterState, objects: readonly KubernetesObject[]): Promise<string> {
    const list = { apiVersion: "v1", kind: "List", items: objects };
    const r = await kubectl(cluster, ["apply", "--server-side", "--field-manager=v6k8s-lab", "-f", "-"], { input: JSON.stringify(list) });
    return r.stdout;
}

export const operatorState = (kubectlBinary: string): ClusterState => ({
    kubeconfig: KUBECONFIG,
    kubectl: kubectlBinary,
    operatorNs: INET6_NS,
});
