// The PID registry: every process the lab starts is recorded in PID_DIR (one JSON file each: pid,
// start time, command name) and stopped by that PID. The start time guards against a PID that was
// reused after the process died: such a PID is never signalled.
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { LOG_DIR, PID_DIR } from "./config";
import { sleepSync } from "./run";

export interface PidRecord {
    readonly pid: number;
    readonly starttime: number;
    readonly comm: string;
    readonly name: string;
}

/** /proc/<pid>/stat: command name, state, parent and start time; undefined once the process is gone. */
export function procStat(pid: number): { comm: string; state: string; ppid: number; starttime: number } | undefined {
    try {
        const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
        const close = stat.lastIndexOf(")");
        const rest = stat.slice(close + 2).split(" ");
        // Fields after the command name start at field 3 (state); the parent is field 4, the start time field 22.
        return { comm: stat.slice(stat.indexOf("(") + 1, close), state: rest[0], ppid: Number(rest[1]), starttime: Number(rest[19]) };
    } catch {
        return undefined;
    }
}

/** Sends `sig` unless the process is gone already. */
function signal(pid: number, sig: NodeJS.Signals): void {
    try {
        process.kill(pid, sig);
    } catch {
        // Gone.
    }
}

export function isRunning(rec: PidRecord): boolean {
    const st = procStat(rec.pid);
    return st !== undefined && st.starttime === rec.starttime && st.state !== "Z";
}

function pidFile(name: string): string {
    return path.join(PID_DIR, `${name.replace(/[^A-Za-z0-9_.-]/g, "_")}.pid`);
}

function recordPid(name: string, pid: number): PidRecord {
    const st = procStat(pid);
    if (!st) throw new Error(`lab: process ${name} (pid ${pid}) exited at once; see ${logFile(name)}`);
    const rec = { pid, starttime: st.starttime, comm: st.comm, name };
    fs.mkdirSync(PID_DIR, { recursive: true });
    fs.writeFileSync(pidFile(name), `${JSON.stringify(rec)}\n`);
    return rec;
}

export function records(): PidRecord[] {
    if (!fs.existsSync(PID_DIR)) return [];
    return fs
        .readdirSync(PID_DIR)
        .filter((f) => f.endsWith(".pid"))
        .flatMap((f) => {
            try {
                return [JSON.parse(fs.readFileSync(path.join(PID_DIR, f), "utf8")) as PidRecord];
            } catch {
                return [];
            }
        });
}

export function logFile(name: string): string {
    return path.join(LOG_DIR, `${name.replace(/[^A-Za-z0-9_.-]/g, "_")}.log`);
}

/**
 * Starts a long-running process in its own session (a terminal's Ctrl-C does not reach it), output
 * to its log file, and records its PID before returning. `argv` must exec into the daemon (ip netns
 * exec and in-ns.sh both exec), so the recorded PID is the daemon's own.
 */
export function startDaemon(name: string, argv: readonly string[], env: Readonly<Record<string, string>> = {}): PidRecord {
    fs.mkdirSync(LOG_DIR, { recursive: true });
    const out = fs.openSync(logFile(name), "a");
    const child = spawn(argv[0], argv.slice(1), { env: { ...process.env, ...env }, stdio: ["ignore", out, out], detached: true });
    fs.closeSync(out);
    child.unref();
    if (child.pid === undefined) throw new Error(`lab: could not start ${name}: ${argv.join(" ")}`);
    return recordPid(name, child.pid);
}

/** The process's direct children, as records (their start times guard against reuse). */
function children(rec: PidRecord): PidRecord[] {
    try {
        return fs
            .readFileSync(`/proc/${rec.pid}/task/${rec.pid}/children`, "utf8")
            .trim()
            .split(/\s+/)
            .filter(Boolean)
            .flatMap((p) => {
                const st = procStat(Number(p));
                return st ? [{ pid: Number(p), starttime: st.starttime, comm: st.comm, name: `${rec.name} child` }] : [];
            });
    } catch {
        return [];
    }
}

/**
 * SIGTERM, then SIGKILL after `graceMs`; only if the PID still is the recorded process. Returns
 * once the children it had (a daemon's helper, e.g. radvd's privilege-separation process, which
 * exits when its parent does) are gone too, or the grace is over: no process of a stopped daemon
 * is left behind for the teardown's check of unrecorded processes to find.
 */
export function stopPid(rec: PidRecord, graceMs = 3000): void {
    if (isRunning(rec)) {
        const helpers = children(rec);
        signal(rec.pid, "SIGTERM");
        const deadline = Date.now() + graceMs;
        while (isRunning(rec) && Date.now() < deadline) sleepSync(20);
        if (isRunning(rec)) {
            signal(rec.pid, "SIGKILL");
            while (isRunning(rec) && Date.now() < deadline + 2000) sleepSync(20);
        }
        while (helpers.some(isRunning) && Date.now() < deadline + 2000) sleepSync(20);
    }
    fs.rmSync(pidFile(rec.name), { force: true });
}

/** Stops every recorded process whose name starts with `prefix` (all of them by default). */
export function stopRecorded(prefix = ""): PidRecord[] {
    const mine = records().filter((r) => r.name.startsWith(prefix));
    for (const rec of mine) if (isRunning(rec)) signal(rec.pid, "SIGTERM");
    for (const rec of mine) stopPid(rec);
    return mine;
}

/** Signals a PID found in one of the lab's namespaces that has no record (a crashed run's leftovers). */
export function stopUnrecorded(pid: number): void {
    const st = procStat(pid);
    if (!st) return;
    stopPid({ pid, starttime: st.starttime, comm: st.comm, name: `unrecorded-${pid}` }, 2000);
}
