// Running commands "on" a lab host or pod: inside its network namespace, with its own filesystem
// paths bind-mounted over the production ones (in-ns.sh), and the lab's glue first on PATH.
import * as fs from "fs";
import * as path from "path";
import { WIREGUARD_INTERFACE } from "../components/hosts/render/hostNet";
import { OWNED_DIR } from "../components/hosts/render/owned";
import { TAYGA_DATA_DIR } from "../components/nat64/render/tayga";
import { GLUE_DIR, IN_NS, LOG_DIR, PID_DIR, WIREGUARD_GO_GLUE } from "./config";
import { inNs } from "./netns";
import { PidRecord, startDaemon } from "./processes";
import { RunOptions, RunResult, run } from "./run";
import type { LabHost, LabPod } from "./state";

/**
 * Host state that production keeps outside the rendered files' directories. /var/lib/v6k8s holds
 * the file steps' owned lists (components/hosts/render/owned.ts): per host, never the machine's.
 */
const HOST_STATE_DIRS = ["/run/wireguard", "/var/lib/cni", TAYGA_DATA_DIR, path.dirname(OWNED_DIR)];
/** Cleared when a host "reboots" (tmpfs in production). */
export const VOLATILE_DIRS = ["/run/wireguard"];

/** Empties the host's own copy of each directory (a power cut: what lives in tmpfs is gone). */
export function clearDirs(host: LabHost, dirs: readonly string[]): void {
    for (const d of dirs) {
        const dir = path.join(host.root, d);
        fs.rmSync(dir, { recursive: true, force: true });
        fs.mkdirSync(dir, { recursive: true });
    }
}

/** The directories to bind for a host: every rendered file's directory plus HOST_STATE_DIRS. */
export function bindsFor(filePaths: Iterable<string>): string[] {
    const dirs = new Set(HOST_STATE_DIRS);
    for (const p of filePaths) dirs.add(path.dirname(p));
    return [...dirs].sort();
}

/**
 * Creates what a bind needs in the root filesystem: the target directory, if missing. Returns the
 * directories it created (outermost first), to be removed at teardown when empty. Nothing else in
 * the root filesystem changes: everything is written through the binds into the lab's state dir.
 */
export function ensureMountPoints(dirs: Iterable<string>): string[] {
    const created: string[] = [];
    for (const dir of dirs) {
        const missing: string[] = [];
        for (let d = dir; !fs.existsSync(d); d = path.dirname(d)) missing.unshift(d);
        for (const d of missing) {
            fs.mkdirSync(d);
            created.push(d);
        }
    }
    return created;
}

export function removeMountPoints(created: readonly string[]): void {
    for (const d of [...created].reverse()) {
        try {
            fs.rmdirSync(d);
        } catch {
            // Not empty (something else uses it now) or already gone: leave it.
        }
    }
}

export function prepareRoot(root: string, binds: readonly string[]): void {
    for (const b of binds) fs.mkdirSync(path.join(root, b), { recursive: true });
    fs.writeFileSync(path.join(root, ".binds"), `${binds.join("\n")}\n`);
}

export function hostEnv(host: LabHost): Record<string, string> {
    return {
        V6L_GLUE: GLUE_DIR,
        V6L_NODE: host.name,
        V6L_PID_DIR: PID_DIR,
        V6L_LOG_DIR: LOG_DIR,
        V6L_GLUE_LOG: systemctlLog(host),
        WG_QUICK_USERSPACE_IMPLEMENTATION: WIREGUARD_GO_GLUE,
    };
}

/** What the host's commands asked systemd to do (the glue's log): its boot sequence. */
export function systemctlLog(host: LabHost): string {
    return path.join(LOG_DIR, `${host.name}-systemctl.log`);
}

export function hostArgv(host: LabHost, argv: readonly string[]): string[] {
    return inNs(host.ns, [IN_NS, host.root, ...argv]);
}

export function onHost(host: LabHost, argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
    fs.mkdirSync(LOG_DIR, { recursive: true });
    return run(hostArgv(host, argv), { ...opts, env: { ...hostEnv(host), ...opts.env } });
}

/** A shell command line on the host, as the remote commands run over SSH in production. */
export function shOnHost(host: LabHost, script: string, opts: RunOptions = {}): Promise<RunResult> {
    return onHost(host, ["bash", "-c", script], opts);
}

export function daemonOnHost(host: LabHost, name: string, argv: readonly string[]): PidRecord {
    return startDaemon(`${host.name}-${name}`, hostArgv(host, argv), hostEnv(host));
}

/** `wg show <the mesh interface> ARGS` on the host (wg finds wireguard-go's socket in the host's own /run/wireguard). */
export function wgShowArgv(host: LabHost, ...args: string[]): string[] {
    return hostArgv(host, ["wg", "show", WIREGUARD_INTERFACE, ...args]);
}

/** The public key of the host's mesh interface. */
export async function wgPublicKey(host: LabHost): Promise<string> {
    return (await run(wgShowArgv(host, "public-key"))).stdout.trim();
}

export function podArgv(pod: LabPod, argv: readonly string[]): string[] {
    return inNs(pod.ns, [IN_NS, pod.root, ...argv]);
}
