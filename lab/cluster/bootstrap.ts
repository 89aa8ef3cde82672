// The Kubernetes steps on the lab's hosts, exactly as the program sends them (components/
// controlplane/steps.ts), in the program's order: control-plane nodes one at a time (joining etcd
// members first), the cluster-wide wait on the first of them, then workers two at a time.
import type { StackConfig } from "../../components/config/types";
import { DEFAULT_WORKER_PARALLELISM, controlPlaneNodeRoles, controlPlaneStartOrder } from "../../components/controlplane/facts";
import type { ControlPlaneNodeRole } from "../../components/controlplane/render/nodeRoles";
import { certificatesAnnotation, pkiFilesHash } from "../../components/controlplane/pkiFiles";
import { APISERVER_PROXY_PORT } from "../../components/controlplane/render/defaults";
import {
    BINARIES_COMMAND,
    PKI_COMMAND,
    START_COMMAND,
    filesCommand,
    pkiStdinOf,
    preflightCommand,
    waitControlPlaneCommand,
} from "../../components/controlplane/steps";
import type { HostFiles } from "../../components/hosts/render/files";
import { RenderedHost, renderStack } from "../../components/offline";
import type { LabHost } from "../state";
import { LabPki, labHostPkiFiles } from "./pki";
import { sshOnHost } from "./ssh";

export const STEPS = ["preflight", "pki", "files", "binaries", "start"] as const;
export type Step = (typeof STEPS)[number];

export interface HostSteps {
    readonly host: LabHost;
    readonly controlPlane: boolean;
    readonly joinEtcd: boolean;
    /** A control-plane host's role as the cluster-wide wait labels and taints it (as the program does). */
    readonly role?: ControlPlaneNodeRole;
    readonly rendered: RenderedHost;
    readonly pkiFiles: HostFiles;
    /** The command text of each step. */
    readonly commands: Readonly<Record<Step, string>>;
    /** What a step gets on stdin (the pki step: the certificates and keys). */
    readonly stdin: Readonly<Partial<Record<Step, string>>>;
}

/** Every host's steps, from the stack, the lab's PKI and the hosts' WireGuard keys. */
export function hostSteps(
    config: StackConfig,
    hosts: readonly LabHost[],
    pki: LabPki,
    publicKeys: Readonly<Record<string, string>>,
): HostSteps[] {
    const isCp = (name: string) => config.nodes.find((n) => n.name === name)!.roles.includes("control-plane");
    const pkiFiles = hosts.map((h) => labHostPkiFiles(pki, { name: h.name, controlPlane: isCp(h.name) }));
    // The same certificates annotation the program puts on the static pods.
    const certificatesHashes = Object.fromEntries(hosts.map((h, i) => [h.name, certificatesAnnotation(pkiFilesHash(pkiFiles[i]))]));
    const rendered = renderStack(config, { publicKeys, certificatesHashes });
    const roles = controlPlaneNodeRoles(config);
    return hosts.map((host, i) => {
        const node = config.nodes.find((n) => n.name === host.name)!;
        const r = rendered[config.nodes.indexOf(node)];
        return {
            host,
            controlPlane: isCp(host.name),
            joinEtcd: node.joinEtcd,
            role: roles.find((x) => x.name === host.name),
            rendered: r,
            pkiFiles: pkiFiles[i],
            stdin: { pki: pkiStdinOf(pkiFiles[i]) },
            commands: kubernetesStepCommands(config, r),
        };
    });
}

/**
 * The command text of each Kubernetes step on a host, from the program's own functions (steps.ts):
 * what the lab sends over SSH, and what the program's k8s-<node>-<step> commands must hold for the
 * lab stack (test/program/labStack.test.ts).
 */
export function kubernetesStepCommands(config: StackConfig, rendered: RenderedHost): Record<Step, string> {
    return {
        preflight: preflightCommand(config.cluster.kubernetesVersion),
        pki: PKI_COMMAND,
        files: filesCommand(rendered.kubernetes),
        binaries: BINARIES_COMMAND,
        start: START_COMMAND,
    };
}

/** Runs one host's steps (or those from `from` on) in order; each failure names host and step. */
export async function runHostSteps(s: HostSteps, log: (l: string) => void, steps: readonly Step[] = STEPS): Promise<void> {
    for (const step of steps) {
        const t0 = Date.now();
        const r = await sshOnHost(s.host, s.commands[step], { allowFail: true, timeoutMs: 15 * 60_000, input: s.stdin[step] });
        if (r.code !== 0) {
            throw new Error(
                `lab: ${s.host.name} step ${step} failed (exit ${r.code}):\n${(r.stderr || r.stdout).trim().split("\n").slice(-25).join("\n")}`,
            );
        }
        log(`lab: ${s.host.name} ${step} ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    }
}

/** The program's order: joining control-plane members first, then the others, one at a time. */
export function controlPlaneOrder(all: readonly HostSteps[]): HostSteps[] {
    return controlPlaneStartOrder(
        all,
        (s) => s.controlPlane,
        (s) => s.joinEtcd,
    );
}

/** The cluster-wide wait on the first control-plane host (`cp`, in start order); it also labels and taints them. */
async function waitControlPlane(cp: readonly HostSteps[], log: (l: string) => void): Promise<void> {
    const t0 = Date.now();
    const first = cp[0];
    const roles = cp.flatMap((s) => (s.role ? [s.role] : []));
    const r = await sshOnHost(first.host, waitControlPlaneCommand(APISERVER_PROXY_PORT, roles), {
        allowFail: true,
        timeoutMs: 16 * 60_000,
    });
    if (r.code !== 0)
        throw new Error(`lab: control-plane-ready on ${first.host.name} failed (exit ${r.code}): ${(r.stderr || r.stdout).trim()}`);
    log(`lab: control-plane-ready ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

/** Every host's Kubernetes steps in the program's order. */
export async function bootstrapKubernetes(all: readonly HostSteps[], log: (l: string) => void): Promise<void> {
    const cp = controlPlaneOrder(all);
    for (const s of cp) await runHostSteps(s, log);
    await waitControlPlane(cp, log);
    const workers = all.filter((s) => !s.controlPlane);
    const size = DEFAULT_WORKER_PARALLELISM;
    for (let i = 0; i < workers.length; i += size) await Promise.all(workers.slice(i, i + size).map((s) => runHostSteps(s, log)));
}
