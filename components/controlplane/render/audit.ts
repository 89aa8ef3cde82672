// The apiserver's audit log: who did what, written on each control-plane node and rotated by the
// apiserver itself (no logrotate needed). The policy logs writes with their request bodies, reads
// as metadata, and never the bodies of resources that carry key material or tokens.
import { K8S_DIR } from "../paths";
import { renderYaml } from "./staticPod";

export const AUDIT_POLICY_PATH = `${K8S_DIR}/audit-policy.yaml`;
export const AUDIT_LOG_DIR = "/var/log/kubernetes/audit";
export const AUDIT_LOG_PATH = `${AUDIT_LOG_DIR}/audit.log`;

/** Rotation: a file is rotated at AUDIT_LOG_MAX_SIZE_MB; at most this many kept, none older than this (at most ~1.1 GB). */
export const AUDIT_LOG_MAX_AGE_DAYS = 30;
export const AUDIT_LOG_MAX_BACKUPS = 10;
export const AUDIT_LOG_MAX_SIZE_MB = 100;

const WRITES = ["create", "update", "patch", "delete", "deletecollection"];

export function auditPolicy() {
    return {
        apiVersion: "audit.k8s.io/v1",
        kind: "Policy",
        // One event per request at ResponseComplete (and ResponseStarted for watches), not two.
        omitStages: ["RequestReceived"],
        rules: [
            // Probes (the node-local proxies check /readyz every 2 s) and version checks.
            { level: "None", nonResourceURLs: ["/healthz*", "/livez*", "/readyz*", "/version"] },
            // Events are a log already; leases are renewed every few seconds by every kubelet and leader.
            {
                level: "None",
                resources: [
                    { group: "", resources: ["events"] },
                    { group: "events.k8s.io", resources: ["events"] },
                ],
            },
            { level: "None", resources: [{ group: "coordination.k8s.io", resources: ["leases"] }] },
            // Bodies of these carry key material or tokens: who and what, never the content.
            {
                level: "Metadata",
                resources: [
                    { group: "", resources: ["secrets", "configmaps", "serviceaccounts/token"] },
                    { group: "authentication.k8s.io", resources: ["tokenreviews"] },
                ],
            },
            // Changes with what was asked for.
            { level: "Request", verbs: WRITES },
            // Reads and everything else: who and what.
            { level: "Metadata" },
        ],
    };
}

export function renderAuditPolicy(): string {
    return renderYaml("Rendered by v6k8s: the apiserver's audit policy.", auditPolicy());
}

/** The apiserver's audit flags. */
export function auditFlags(): string[] {
    return [
        `--audit-policy-file=${AUDIT_POLICY_PATH}`,
        `--audit-log-path=${AUDIT_LOG_PATH}`,
        `--audit-log-maxage=${AUDIT_LOG_MAX_AGE_DAYS}`,
        `--audit-log-maxbackup=${AUDIT_LOG_MAX_BACKUPS}`,
        `--audit-log-maxsize=${AUDIT_LOG_MAX_SIZE_MB}`,
    ];
}
