// Each host's Kubernetes steps as `pulumi up` sent them: read back from the engine's state (the
// command texts, the PKI on the pki step's stdin, the WireGuard keys the key steps printed), with
// what the program renders for the host given those keys and certificates. The checks compare
// hosts with this and re-send single steps over SSH; the order of the steps is the engine's.
import type { StackConfig } from "../../components/config/types";
import { certificatesAnnotation, pkiFilesHash } from "../../components/controlplane/pkiFiles";
import { PKI_COMMAND, START_COMMAND } from "../../components/controlplane/steps";
import type { HostFiles } from "../../components/hosts/render/files";
import { RenderedHost, renderStack } from "../../components/offline";
import { decodeStdinFiles } from "../../test/support/decodeFiles";
import type { StateResource } from "../engine/labStack";
import type { LabHost } from "../state";

export const STEPS = ["preflight", "pki", "files", "binaries", "start"] as const;
export type Step = (typeof STEPS)[number];

export interface HostSteps {
    readonly host: LabHost;
    readonly controlPlane: boolean;
    readonly joinEtcd: boolean;
    /** What the program renders for the host, with the keys and certificates the engine made. */
    readonly rendered: RenderedHost;
    /** The certificates and keys the pki step wrote (from its stdin). */
    readonly pkiFiles: HostFiles;
    /** The command text of each step, as the engine sent it. */
    readonly commands: Readonly<Record<Step, string>>;
    /** What a step got on stdin (the pki step: the certificates and keys). */
    readonly stdin: Readonly<Partial<Record<Step, string>>>;
}

/**
 * The command text of each Kubernetes step on a host, from the program's own functions (steps.ts):
 * what the program's k8s-<node>-<step> commands must hold (test/program/labStack.test.ts).
 */
export function kubernetesStepCommands(rendered: RenderedHost): Record<Step, string> {
    return {
        preflight: rendered.kubernetesCommands.preflight,
        pki: PKI_COMMAND,
        files: rendered.kubernetesCommands.files,
        binaries: rendered.kubernetesCommands.binaries,
        start: START_COMMAND,
    };
}

/** A remote command's outputs in the state, by the name the program gave it. */
export function commandOutputs(resources: readonly StateResource[], name: string): Record<string, unknown> {
    const r = resources.find((x) => x.name === name && x.type === "command:remote:Command");
    if (!r) throw new Error(`lab: no command ${name} in the stack's state`);
    return r.outputs;
}

/** Every host's steps as the engine's state holds them. */
export function hostStepsFromState(config: StackConfig, hosts: readonly LabHost[], resources: readonly StateResource[]): HostSteps[] {
    const out = (name: string) => commandOutputs(resources, name);
    // Kubernetes nodes only: a node leaving has no Kubernetes steps any more.
    const present = hosts.filter((h) => config.nodes.some((n) => n.name === h.name && !n.leaving));
    const publicKeys = Object.fromEntries(present.map((h) => [h.name, String(out(`node-${h.name}-wireguard-key`).stdout).trim()]));
    const pkiFiles = new Map(present.map((h) => [h.name, decodeStdinFiles(String(out(`k8s-${h.name}-pki`).stdin))]));
    const certificatesHashes = Object.fromEntries(
        present.map((h) => [h.name, certificatesAnnotation(pkiFilesHash(pkiFiles.get(h.name)!))]),
    );
    const rendered = renderStack(config, { publicKeys, certificatesHashes });
    return present.map((host) => {
        const node = config.nodes.find((n) => n.name === host.name)!;
        const commands = Object.fromEntries(STEPS.map((s) => [s, String(out(`k8s-${host.name}-${s}`).create)])) as Record<Step, string>;
        return {
            host,
            controlPlane: node.roles.includes("control-plane"),
            joinEtcd: node.joinEtcd,
            rendered: rendered[config.nodes.indexOf(node)],
            pkiFiles: pkiFiles.get(host.name)!,
            commands,
            stdin: { pki: String(out(`k8s-${host.name}-pki`).stdin) },
        };
    });
}
