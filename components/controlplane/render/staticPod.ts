// The shape every static pod shares (kubeadm's, give or take): kube-system, host network,
// system-node-critical, RuntimeDefault seccomp, hostPath volumes, probes against [::1].
import { stringify } from "yaml";
import { MANIFEST_DIR } from "../paths";
import { ClusterFacts } from "./inputs";

export const SYSTEM_NODE_CRITICAL = "system-node-critical";
/** The value of the system-node-critical class: the kubelet reads `priority` from the manifest itself. */
export const SYSTEM_NODE_CRITICAL_PRIORITY = 2000001000;

export type HostPathType = "Directory" | "DirectoryOrCreate" | "File" | "FileOrCreate";

export interface HostMount {
    readonly name: string;
    readonly hostPath: string;
    readonly type: HostPathType;
    readonly readOnly: boolean;
    /** Where the container sees it; default the same path as on the host. */
    readonly mountPath?: string;
}

export interface HttpProbe {
    readonly httpGet: { readonly host: string; readonly path: string; readonly port: number; readonly scheme: "HTTP" | "HTTPS" };
    readonly initialDelaySeconds?: number;
    readonly periodSeconds: number;
    readonly timeoutSeconds: number;
    readonly failureThreshold: number;
}

export interface StaticPodSpec {
    /** Pod and container name; the mirror pod becomes `<name>-<node>`. */
    readonly name: string;
    readonly image: string;
    /** argv: the binary, then its flags. */
    readonly command: readonly string[];
    readonly requests: { readonly cpu: string; readonly memory?: string };
    readonly mounts: readonly HostMount[];
    readonly liveness?: HttpProbe;
    readonly readiness?: HttpProbe;
    readonly startup?: HttpProbe;
    readonly annotations?: Readonly<Record<string, string>>;
    /** `tier` label; default control-plane. */
    readonly tier?: string;
}

type Scheme = HttpProbe["httpGet"]["scheme"];
const get = (host: string, port: number, path: string, scheme: Scheme) => ({ host, path, port, scheme });

// kubeadm's timings: a control-plane component gets 4 minutes (24 x 10 s) to start before the
// kubelet kills it, then 8 missed liveness checks.
export function livenessProbe(host: string, port: number, path: string, scheme: Scheme): HttpProbe {
    return { httpGet: get(host, port, path, scheme), initialDelaySeconds: 10, periodSeconds: 10, timeoutSeconds: 15, failureThreshold: 8 };
}

export function readinessProbe(host: string, port: number, path: string, scheme: Scheme): HttpProbe {
    return { httpGet: get(host, port, path, scheme), periodSeconds: 1, timeoutSeconds: 15, failureThreshold: 3 };
}

export function startupProbe(host: string, port: number, path: string, scheme: Scheme): HttpProbe {
    return { httpGet: get(host, port, path, scheme), initialDelaySeconds: 10, periodSeconds: 10, timeoutSeconds: 15, failureThreshold: 24 };
}

/** Annotation prefix of this project. */
export const ANNOTATION_PREFIX = "v6k8s.io";

/**
 * The cluster-wide annotations plus `own`. The kubelet names a static pod after a hash of its
 * manifest, so a changed annotation restarts the pod: used for files a component reads only at
 * start but that reach it through a hostPath mount (the manifest itself would not change).
 */
export function podAnnotations(cluster: ClusterFacts, own: Readonly<Record<string, string>> = {}): Record<string, string> | undefined {
    const all = { ...(cluster.staticPodAnnotations ?? {}), ...own };
    return Object.keys(all).length === 0 ? undefined : all;
}

/** Where the kubelet finds a component's manifest. */
export function manifestPath(name: string): string {
    return `${MANIFEST_DIR}/${name}.yaml`;
}

export function staticPod(spec: StaticPodSpec) {
    const container = {
        name: spec.name,
        image: spec.image,
        imagePullPolicy: "IfNotPresent",
        command: [...spec.command],
        resources: { requests: { ...spec.requests } },
        ...(spec.liveness && { livenessProbe: spec.liveness }),
        ...(spec.readiness && { readinessProbe: spec.readiness }),
        ...(spec.startup && { startupProbe: spec.startup }),
        volumeMounts: spec.mounts.map((m) => ({ name: m.name, mountPath: m.mountPath ?? m.hostPath, readOnly: m.readOnly })),
    };
    return {
        apiVersion: "v1",
        kind: "Pod",
        metadata: {
            name: spec.name,
            namespace: "kube-system",
            labels: { component: spec.name, tier: spec.tier ?? "control-plane" },
            ...(spec.annotations && { annotations: { ...spec.annotations } }),
        },
        spec: {
            hostNetwork: true,
            priority: SYSTEM_NODE_CRITICAL_PRIORITY,
            priorityClassName: SYSTEM_NODE_CRITICAL,
            securityContext: { seccompProfile: { type: "RuntimeDefault" } },
            containers: [container],
            volumes: spec.mounts.map((m) => ({ name: m.name, hostPath: { path: m.hostPath, type: m.type } })),
        },
    };
}

/** YAML of any object, never folded (long flags stay on one line), with a leading comment. */
export function renderYaml(comment: string, value: unknown): string {
    const header = comment
        .split("\n")
        .map((l) => `# ${l}`.trimEnd())
        .join("\n");
    return `${header}\n${stringify(value, { lineWidth: 0, version: "1.1" })}`;
}

export function renderStaticPod(comment: string, spec: StaticPodSpec): string {
    return renderYaml(comment, staticPod(spec));
}

/** Flags of a leader-elected control-plane client (controller-manager, scheduler). */
export function leaderElectedClientFlags(kubeconfig: string): string[] {
    return [
        `--kubeconfig=${kubeconfig}`,
        `--authentication-kubeconfig=${kubeconfig}`,
        `--authorization-kubeconfig=${kubeconfig}`,
        "--bind-address=::1",
        "--leader-elect=true",
    ];
}
