// The Kubernetes objects the renderers produce, typed with kubernetes-models' interfaces (generated
// from the Kubernetes OpenAPI schema): a misspelt or misplaced field is a compile error, and the
// tests run each object through the same schema's validator. Type-only imports: nothing of the
// package is loaded at run time.
import { stringify } from "yaml";
import type { IValidatingAdmissionPolicy } from "kubernetes-models/admissionregistration.k8s.io/v1/ValidatingAdmissionPolicy";
import type { IValidatingAdmissionPolicyBinding } from "kubernetes-models/admissionregistration.k8s.io/v1/ValidatingAdmissionPolicyBinding";
import type { IDaemonSet } from "kubernetes-models/apps/v1/DaemonSet";
import type { IDeployment } from "kubernetes-models/apps/v1/Deployment";
import type { IPodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import type { IClusterRole } from "kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole";
import type { IClusterRoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding";
import type { IConfigMap } from "kubernetes-models/v1/ConfigMap";
import type { INamespace } from "kubernetes-models/v1/Namespace";
import type { IService } from "kubernetes-models/v1/Service";
import type { IServiceAccount } from "kubernetes-models/v1/ServiceAccount";

export type {
    IClusterRole,
    IClusterRoleBinding,
    IConfigMap,
    IDaemonSet,
    IDeployment,
    INamespace,
    IPodDisruptionBudget,
    IService,
    IServiceAccount,
    IValidatingAdmissionPolicy,
    IValidatingAdmissionPolicyBinding,
};

/** Every kind the program creates. Adding one means adding it to components/addons/kinds.ts too. */
export type KubernetesObject =
    | INamespace
    | IServiceAccount
    | IConfigMap
    | IService
    | IClusterRole
    | IClusterRoleBinding
    | IDaemonSet
    | IDeployment
    | IPodDisruptionBudget
    | IValidatingAdmissionPolicy
    | IValidatingAdmissionPolicyBinding;

export type Kind = KubernetesObject["kind"];

/** `apiVersion/kind`, e.g. "apps/v1/DaemonSet": the key of the kind -> class table. */
export function typeKey(o: { apiVersion: string; kind: string }): string {
    return `${o.apiVersion}/${o.kind}`;
}

/** A stable, readable id: `<kind>-<namespace>-<name>` (namespace left out for cluster-scoped kinds). */
export function objectId(o: KubernetesObject): string {
    const ns = o.metadata?.namespace;
    // Pulumi names stay plain: `system:coredns` becomes `system-coredns`.
    return [o.kind.toLowerCase(), ...(ns ? [ns] : []), o.metadata?.name ?? "unnamed"].join("-").replace(/:/g, "-");
}

/** Objects as one multi-document YAML, in the order given (the order they are created in). */
export function renderManifests(comment: string, objects: readonly KubernetesObject[]): string {
    const header = comment
        .split("\n")
        .map((l) => `# ${l}`.trimEnd())
        .join("\n");
    return `${header}\n${objects.map((o) => stringify(o, { lineWidth: 0, version: "1.1", aliasDuplicateObjects: false })).join("---\n")}`;
}
