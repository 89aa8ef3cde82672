// kube-scheduler on a control-plane node: leader-elected, serving only on [::1].
import { PKI_DIR, PATHS } from "../paths";
import { SCHEDULER_PORT } from "./defaults";
import { ClusterFacts, NodeFacts } from "./inputs";
import { renderSchedulerKubeconfig } from "./kubeconfig";
import { selfMember } from "./members";
import { LOOPBACK } from "../../common/net";
import {
    ANNOTATION_PREFIX,
    livenessProbe,
    manifestPath,
    podAnnotations,
    readinessProbe,
    renderStaticPod,
    startupProbe,
    leaderElectedClientFlags,
} from "./staticPod";
import { sha256 } from "../../common/hash";
import { servingHardeningFlags } from "./hardening";

export const SCHEDULER_MANIFEST_PATH = manifestPath("kube-scheduler");

export function schedulerFlags(): string[] {
    return [...leaderElectedClientFlags(PATHS.schedulerKubeconfig), ...servingHardeningFlags()];
}

export function renderSchedulerManifest(cluster: ClusterFacts, node: NodeFacts): string {
    selfMember(cluster, node);
    const kubeconfig = renderSchedulerKubeconfig(cluster);
    return renderStaticPod(`Rendered by v6k8s: kube-scheduler on ${node.name}, a static pod.`, {
        name: "kube-scheduler",
        image: cluster.images.scheduler,
        command: ["kube-scheduler", ...schedulerFlags()],
        requests: { cpu: "100m" },
        // The kubeconfig names its certificate and the CA by path under PKI_DIR (mounted as a
        // directory, so certificates replaced by rename are seen).
        mounts: [
            { name: "k8s-certs", hostPath: PKI_DIR, type: "Directory", readOnly: true },
            { name: "kubeconfig", hostPath: PATHS.schedulerKubeconfig, type: "File", readOnly: true },
        ],
        annotations: podAnnotations(cluster, { [`${ANNOTATION_PREFIX}/kubeconfig-sha256`]: sha256(kubeconfig) }),
        liveness: livenessProbe(LOOPBACK, SCHEDULER_PORT, "/livez", "HTTPS"),
        readiness: readinessProbe(LOOPBACK, SCHEDULER_PORT, "/readyz", "HTTPS"),
        startup: startupProbe(LOOPBACK, SCHEDULER_PORT, "/livez", "HTTPS"),
    });
}
