// Shared by the addons tests: the example stack, variants of it, and kubernetes-models loaded the
// only way an ESM-only package loads from CommonJS test code (a real dynamic import).
import * as path from "path";
import { validateStackConfig } from "../../components/config/load";
import { readStackFile } from "../../components/config/stackFile";
import type { StackConfig } from "../../components/config/types";
import type { KubernetesObject } from "../../components/addons/render/objects";
import { RawConfig, dedicated, hcloud } from "../support/fixtures";

export const PROD_FILE = path.join(__dirname, "..", "..", "Pulumi.prod.yaml");

export function prodConfig(): StackConfig {
    return readStackFile(PROD_FILE);
}

/** Two IPv4 gateways (indexes 3 and 7), an IPv6-only worker, a public service on all three. */
export function twoGateways(): RawConfig {
    return {
        cluster: { ulaPrefix: "fd8a:31c2:7c1f:1::/64", kubernetesVersion: "1.34.2" },
        nodes: [
            dedicated("cp1", 1, ["control-plane", "worker"], "2001:db8:a:1::/64"),
            dedicated("gw7", 7, ["worker"], "2001:db8:a:7::/64", { ipv4: "203.0.113.17" }),
            dedicated("gw3", 3, ["worker"], "2001:db8:a:3::/64", { ipv4: "203.0.113.13", ipv4Ports: [{ port: 25 }] }),
            hcloud("h9", 9, ["worker"], { ipv4: true }),
        ],
        services: [{ name: "web", hosts: ["gw3", "cp1", "h9"], ports: [{ port: 443 }, { port: 80, targetPort: 8080 }] }],
    };
}

export function config(raw: RawConfig): StackConfig {
    return validateStackConfig(raw);
}

// `import()` kept out of TypeScript's reach: compiled to CommonJS it would become require(), which
// cannot load an ES module.
const importEsm = new Function("s", "return import(s)") as (s: string) => Promise<Record<string, unknown>>;

interface Model {
    validate(): void;
}
type ModelClass = new (data: unknown) => Model;

const MODULES: Record<string, string> = {
    v1: "kubernetes-models/v1",
    "apps/v1": "kubernetes-models/apps/v1",
    "policy/v1": "kubernetes-models/policy/v1",
    "rbac.authorization.k8s.io/v1": "kubernetes-models/rbac.authorization.k8s.io/v1",
    "admissionregistration.k8s.io/v1": "kubernetes-models/admissionregistration.k8s.io/v1",
};

/** The kubernetes-models class of an object's apiVersion and kind. */
export async function modelOf(o: { apiVersion: string; kind: string }): Promise<ModelClass> {
    const module = MODULES[o.apiVersion];
    if (!module) throw new Error(`no kubernetes-models module for ${o.apiVersion}`);
    const cls = (await importEsm(module))[o.kind] as ModelClass | undefined;
    if (!cls) throw new Error(`kubernetes-models has no ${o.apiVersion} ${o.kind}`);
    return cls;
}

/** Validates against the OpenAPI schema; throws with the validator's message. */
export async function validateObject(o: KubernetesObject | Record<string, unknown>): Promise<void> {
    const cls = await modelOf(o as { apiVersion: string; kind: string });
    new cls(o).validate();
}
