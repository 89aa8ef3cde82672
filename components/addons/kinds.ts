// apiVersion/kind -> the typed @pulumi/kubernetes class that creates it. Every rendered object goes
// through here, so each one gets the class's await logic (a Deployment is done when it is rolled
// out) and every one uses the cluster's provider.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { KubernetesObject, typeKey } from "./render/objects";

type KubernetesClass = new (name: string, args: pulumi.Inputs, opts?: pulumi.CustomResourceOptions) => pulumi.CustomResource;

const asClass = (c: unknown) => c as KubernetesClass;

const CLASSES: Readonly<Record<string, KubernetesClass>> = {
    "v1/Namespace": asClass(k8s.core.v1.Namespace),
    "v1/ServiceAccount": asClass(k8s.core.v1.ServiceAccount),
    "v1/ConfigMap": asClass(k8s.core.v1.ConfigMap),
    "v1/Service": asClass(k8s.core.v1.Service),
    "rbac.authorization.k8s.io/v1/ClusterRole": asClass(k8s.rbac.v1.ClusterRole),
    "rbac.authorization.k8s.io/v1/ClusterRoleBinding": asClass(k8s.rbac.v1.ClusterRoleBinding),
    "apps/v1/DaemonSet": asClass(k8s.apps.v1.DaemonSet),
    "apps/v1/Deployment": asClass(k8s.apps.v1.Deployment),
    "policy/v1/PodDisruptionBudget": asClass(k8s.policy.v1.PodDisruptionBudget),
    "admissionregistration.k8s.io/v1/ValidatingAdmissionPolicy": asClass(k8s.admissionregistration.v1.ValidatingAdmissionPolicy),
    "admissionregistration.k8s.io/v1/ValidatingAdmissionPolicyBinding": asClass(
        k8s.admissionregistration.v1.ValidatingAdmissionPolicyBinding,
    ),
};

/** The `apiVersion/kind` keys the table knows (a test checks every rendered kind is among them). */
export const KNOWN_TYPES: readonly string[] = Object.keys(CLASSES);

/**
 * Creates one object. `args` is the object itself, or (when parts are only known later, like an
 * hcloud host's address) its top-level fields as Inputs; `type` picks the class.
 */
export function createObject(
    name: string,
    type: Pick<KubernetesObject, "apiVersion" | "kind">,
    args: KubernetesObject | pulumi.Inputs,
    opts: pulumi.CustomResourceOptions & { provider: k8s.Provider },
): pulumi.CustomResource {
    const cls = CLASSES[typeKey(type)];
    if (!cls) throw new RangeError(`no @pulumi/kubernetes class for ${typeKey(type)}: add it to components/addons/kinds.ts`);
    return new cls(name, args as pulumi.Inputs, opts);
}
