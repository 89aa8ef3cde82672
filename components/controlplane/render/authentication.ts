// Who the apiserver lets in without credentials: only its health endpoints (/livez, /readyz,
// /healthz), for the kubelet's probes and the node-local proxies' checks. Everything else, /version
// and discovery included, answers 401 to an anonymous request (the structured authentication
// configuration's anonymous conditions; Kubernetes 1.32+, GA in 1.34).
import { K8S_DIR } from "../paths";
import { renderYaml } from "./staticPod";

export const AUTHENTICATION_CONFIG_PATH = `${K8S_DIR}/authentication-config.yaml`;
export const ANONYMOUS_PATHS = ["/livez", "/readyz", "/healthz"] as const;
/** The first minor whose apiserver takes anonymous conditions without an alpha feature gate. */
export const ANONYMOUS_CONDITIONS_MINOR = 32;

/** Whether `kubernetesVersion` ("1.34.2") limits anonymous requests; 1.31 keeps the default (any path, then RBAC). */
export function limitsAnonymous(kubernetesVersion: string): boolean {
    return Number(kubernetesVersion.split(".")[1]) >= ANONYMOUS_CONDITIONS_MINOR;
}

export function renderAuthenticationConfig(): string {
    return renderYaml("Rendered by v6k8s: the apiserver's authentication configuration.", {
        // v1beta1: served from 1.32 on (v1 only from 1.34).
        apiVersion: "apiserver.config.k8s.io/v1beta1",
        kind: "AuthenticationConfiguration",
        anonymous: { enabled: true, conditions: ANONYMOUS_PATHS.map((path) => ({ path })) },
    });
}
