// kube-controller-manager on a control-plane node. Two things are deliberately absent:
// - node CIDR allocation: host-local owns pod addresses (each node's /96s come from the address
//   plan), so there is no cluster CIDR to carve up;
// - --cluster-signing-*: the cluster CA key never lands on a host. The Pulumi program issues every
//   certificate, so the CSR signer stays off (kubelets do not rotate through CSRs either).
import { PKI_DIR, PATHS } from "../paths";
import { CONTROLLER_MANAGER_PORT } from "./defaults";
import { ClusterFacts, NodeFacts } from "./inputs";
import { renderControllerManagerKubeconfig } from "./kubeconfig";
import { selfMember } from "./members";
import { LOOPBACK } from "../../common/net";
import { serviceRange } from "./serviceRange";
import {
    ANNOTATION_PREFIX,
    livenessProbe,
    manifestPath,
    podAnnotations,
    renderStaticPod,
    startupProbe,
    leaderElectedClientFlags,
} from "./staticPod";
import { sha256 } from "../../common/hash";
import { servingHardeningFlags } from "./hardening";

export const CONTROLLER_MANAGER_MANIFEST_PATH = manifestPath("kube-controller-manager");

export function controllerManagerFlags(cluster: ClusterFacts): string[] {
    return [
        ...leaderElectedClientFlags(PATHS.controllerManagerKubeconfig),
        // Client certificates on its secure port are checked against files, not a ConfigMap lookup.
        `--client-ca-file=${PATHS.clusterCa.cert}`,
        `--requestheader-client-ca-file=${PATHS.frontProxyCa.cert}`,
        "--allocate-node-cidrs=false",
        `--service-cluster-ip-range=${serviceRange(cluster)}`,
        `--root-ca-file=${PATHS.clusterCa.cert}`,
        `--service-account-private-key-file=${PATHS.serviceAccount.privateKey}`,
        "--use-service-account-credentials=true",
        ...servingHardeningFlags(),
    ];
}

export function renderControllerManagerManifest(cluster: ClusterFacts, node: NodeFacts): string {
    selfMember(cluster, node);
    return renderStaticPod(`Rendered by v6k8s: kube-controller-manager on ${node.name}, a static pod.`, {
        name: "kube-controller-manager",
        image: cluster.images.controllerManager,
        command: ["kube-controller-manager", ...controllerManagerFlags(cluster)],
        requests: { cpu: "200m" },
        // The PKI directory, not single files: a file mount pins the inode it started with, and the
        // PKI step replaces certificates by rename (rotation restarts the pod via an annotation).
        mounts: [
            { name: "k8s-certs", hostPath: PKI_DIR, type: "Directory", readOnly: true },
            { name: "kubeconfig", hostPath: PATHS.controllerManagerKubeconfig, type: "File", readOnly: true },
        ],
        annotations: podAnnotations(cluster, {
            [`${ANNOTATION_PREFIX}/kubeconfig-sha256`]: sha256(renderControllerManagerKubeconfig(cluster)),
        }),
        liveness: livenessProbe(LOOPBACK, CONTROLLER_MANAGER_PORT, "/healthz", "HTTPS"),
        startup: startupProbe(LOOPBACK, CONTROLLER_MANAGER_PORT, "/healthz", "HTTPS"),
    });
}
