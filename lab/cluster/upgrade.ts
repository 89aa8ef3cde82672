// The release the upgrade check (1a) starts the lab cluster at, one minor before the stack's: the
// lab comes up there and `lab:apply` of the stack's own release upgrades it, in the program's
// order. On only with V6K8S_LAB_UPGRADE=1: every other way into the lab (`npm run lab:cluster`,
// `npm run test:lab` for now, a --grep of other checks) gets the stack's release from the start.
import * as fs from "fs";
import { parseDocument } from "yaml";
import type { StackConfig } from "../../components/config/types";
import { projectName } from "../../components/config/stackFile";

export interface LabRelease {
    readonly kubernetesVersion: string;
    /** cluster.etcdVersion; undefined: the Kubernetes minor's pin. */
    readonly etcdVersion?: string;
}

/**
 * The newest 1.33 patch on the Go module proxy, with the newest etcd 3.5 there: kubeadm's pin for
 * 1.33, etcd 3.5.24, cannot be built here (the proxy answers 403 for go.etcd.io/etcd/etcdutl/v3
 * and etcdctl/v3 at v3.5.24), so the stack names 3.5.36 (cluster.etcdVersion), a later patch.
 */
export const UPGRADE_FROM: LabRelease = { kubernetesVersion: "1.33.13", etcdVersion: "3.5.36" };
export const UPGRADE_ENV = "V6K8S_LAB_UPGRADE";

/** The release to start at when the upgrade check runs, else undefined. */
export const upgradeFrom = (): LabRelease | undefined => (process.env[UPGRADE_ENV] === "1" ? UPGRADE_FROM : undefined);

/** `config` at `release`. */
export function atRelease(config: StackConfig, release: LabRelease): StackConfig {
    return { ...config, cluster: { ...config.cluster, kubernetesVersion: release.kubernetesVersion, etcdVersion: release.etcdVersion } };
}

/** Sets the stack file's cluster.kubernetesVersion and cluster.etcdVersion (removed when unset), in place. */
export function setStackRelease(file: string, release: LabRelease): void {
    const doc = parseDocument(fs.readFileSync(file, "utf8"));
    const cluster = ["config", `${projectName()}:cluster`];
    doc.setIn([...cluster, "kubernetesVersion"], release.kubernetesVersion);
    if (release.etcdVersion) doc.setIn([...cluster, "etcdVersion"], release.etcdVersion);
    else doc.deleteIn([...cluster, "etcdVersion"]);
    fs.writeFileSync(file, doc.toString());
}

/** The release a stack config names. */
export const releaseOf = (config: StackConfig): LabRelease => ({
    kubernetesVersion: config.cluster.kubernetesVersion,
    ...(config.cluster.etcdVersion ? { etcdVersion: config.cluster.etcdVersion } : {}),
});
