// A cluster-lab host as a machine: one long-lived set of namespaces (network, mount, UTS) that
// every process of the host runs in, so containerd, the kubelet and the containers they start
// share one filesystem view, as on a real server. lab/sh/machine.sh sets it up and holds it; every
// command enters it with nsenter. The network-only lab runs each command in a fresh mount
// namespace instead (machines.ts): both views bind the same directories, so they agree.
import * as fs from "fs";
import * as path from "path";
import { ETCD_DATA_DIR, ETCD_PKI_DIR, KUBELET_DIR, PKI_DIR } from "../../components/controlplane/paths";
import { OWNED_DIR } from "../../components/hosts/render/owned";
import { ETCD_BACKUP_DIR } from "../../components/controlplane/render/etcdBackup";
import { LAB_DIR, STATE_DIR } from "../config";
import { hostEnv } from "../machines";
import { inNs } from "../netns";
import { PidRecord, isRunning, logFile, records, startDaemon } from "../processes";
import { RunOptions, RunResult, run } from "../run";
import { waitForLog } from "../servers";
import type { LabHost } from "../state";

const MACHINE_SH = path.join(LAB_DIR, "sh", "machine.sh");
const IN_MACHINE = path.join(LAB_DIR, "sh", "in-machine.sh");

/**
 * Where Kubernetes keeps state on a host, besides the rendered files' directories: each is the
 * host's own (bound from its root). /usr/local/{bin,sbin}: install-binaries.sh installs there;
 * /run/netns: containerd pins pod network namespaces there (never in the machine's /run/netns);
 * /lib/modules: kube-proxy mounts it (this kernel has none); /root: see below.
 */
export const KUBERNETES_STATE_DIRS = [
    "/etc/containerd",
    PKI_DIR,
    ETCD_PKI_DIR,
    "/lib/modules",
    "/run/containerd",
    "/run/netns",
    "/usr/libexec/kubernetes",
    "/usr/local/bin",
    "/usr/local/sbin",
    "/var/lib/containerd",
    ETCD_DATA_DIR,
    KUBELET_DIR,
    `${KUBELET_DIR}/pki`,
    path.dirname(OWNED_DIR),
    "/var/log/containers",
    "/var/log/pods",
    // root's home: sshd's sessions start there and bash reads its .bashrc (Debian's
    // SSH_SOURCE_BASHRC); a server's own, empty, not the lab machine's.
    "/root",
    // sshd's privilege-separation directory (systemd's RuntimeDirectory on Debian).
    "/run/sshd",
    // The etcd snapshots (etcdBackup.ts): each host's own, never the machine's /var/backups.
    ETCD_BACKUP_DIR,
];

/** The kubelet's cgroup root on a host (unit.d/kubelet.sh passes the same). */
const cgroupRoot = (name: string) => `/v6l-${name}`;
/** Every lab host's kubelet cgroup root, as cgroupPids matches it. */
export const LAB_CGROUPS = new RegExp(`^${cgroupRoot("")}`);
/** One host's. */
export const hostCgroups = (name: string) => new RegExp(`^${cgroupRoot(name)}(/|$)`);

const machineName = (host: LabHost) => `${host.name}-machine`;

/** The host's machine process, if it runs. */
function machineOf(host: LabHost): PidRecord | undefined {
    return records().find((r) => r.name === machineName(host) && isRunning(r));
}

/** Starts the host's machine (binds, hostname, cgroups) unless it runs. */
export async function bootMachine(host: LabHost): Promise<PidRecord> {
    const running = machineOf(host);
    if (running) return running;
    // A new log per boot: a power-cycled host's old log already says "ready".
    fs.rmSync(logFile(machineName(host)), { force: true });
    const rec = startDaemon(
        machineName(host),
        inNs(host.ns, ["unshare", "--uts", MACHINE_SH, host.root, host.name, cgroupRoot(host.name)]),
    );
    await waitForLog(rec, `machine ${host.name} ready`, 30_000);
    return rec;
}

/** Per-host glue state outside the host's own directories (e.g. containerd's adapted config). */
function glueState(host: LabHost): string {
    return path.join(STATE_DIR, "glue", host.name);
}

export function machineEnv(host: LabHost): Record<string, string> {
    return { ...hostEnv(host), V6L_UNITS: "1", V6L_GLUE_STATE: glueState(host) };
}

export function machineArgv(host: LabHost, argv: readonly string[]): string[] {
    const m = machineOf(host);
    if (!m) throw new Error(`lab: ${host.name}'s machine is not running`);
    return ["nsenter", "-t", String(m.pid), "-m", "-u", "-n", "--", IN_MACHINE, ...argv];
}

/** A command on the host's machine. */
function onMachine(host: LabHost, argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
    return run(machineArgv(host, argv), { ...opts, env: { ...machineEnv(host), ...opts.env } });
}

/** A shell command line on the machine, as the remote commands run over SSH in production. */
export function shOnMachine(host: LabHost, script: string, opts: RunOptions = {}): Promise<RunResult> {
    return onMachine(host, ["bash", "-c", script], opts);
}

/** Processes whose cgroup (any hierarchy) matches, e.g. everything under the lab's kubelet cgroup roots. */
export function cgroupPids(path: RegExp): number[] {
    const pids: number[] = [];
    for (const e of fs.readdirSync("/proc")) {
        if (!/^\d+$/.test(e)) continue;
        try {
            const lines = fs.readFileSync(`/proc/${e}/cgroup`, "utf8").split("\n");
            if (lines.some((l) => path.test(l.split(":").slice(2).join(":")))) pids.push(Number(e));
        } catch {
            // Gone.
        }
    }
    return pids;
}

/** Removes the host's kubelet cgroup root in every hierarchy (once no process is left in it). */
export function removeCgroups(name: string): void {
    for (const d of cgroupDirs(name)) {
        try {
            fs.rmdirSync(d);
        } catch {
            // Still busy or gone: reported by the teardown check.
        }
    }
}

/** The cgroup directories the host's kubelet made (for the teardown), deepest first. */
export function cgroupDirs(name: string): string[] {
    const out: string[] = [];
    const base = "/sys/fs/cgroup";
    if (!fs.existsSync(base)) return out;
    for (const h of fs.readdirSync(base)) {
        const root = path.join(base, h, cgroupRoot(name));
        if (!fs.existsSync(root)) continue;
        const walk = (d: string) => {
            for (const e of fs.readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) walk(path.join(d, e.name));
            out.push(d);
        };
        walk(root);
    }
    return out;
}
