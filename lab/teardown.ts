// Teardown: synchronous (it runs from signal handlers too) and idempotent (it also cleans up
// after a crashed run, from whatever is left). Stops every recorded process by its PID, then any
// process still inside one of the lab's namespaces (by PID), deletes only the lab's namespaces,
// removes the mount-point directories the lab created, and the state directory.
import * as fs from "fs";
import { STATE_DIR } from "./config";
import { OWNER_FILE } from "./preflight";
import { LAB_CGROUPS, cgroupPids, removeCgroups } from "./cluster/machine";
import { removeMountPoints } from "./machines";
import { deleteNetns, netnsPids, ourNetns } from "./netns";
import { records, stopRecorded, stopUnrecorded } from "./processes";
import { loadState } from "./state";

export interface TeardownReport {
    readonly stopped: number;
    readonly unrecorded: number;
    readonly namespaces: number;
}

/** What a process runs (for the report of one nobody recorded). */
function commandLine(pid: number): string {
    try {
        return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean).join(" ").slice(0, 300) || "?";
    } catch {
        return "(gone)";
    }
}

export function down(): TeardownReport {
    const state = loadState();
    const stopped = stopRecorded().length;
    let unrecorded = 0;
    // The cluster lab's containers: in their hosts' kubelet cgroup roots, often in pod network
    // namespaces that are not the lab's; stopped by PID, then their cgroups removed.
    for (const pid of cgroupPids(LAB_CGROUPS)) {
        stopUnrecorded(pid);
        unrecorded++;
    }
    const namespaces = ourNetns();
    for (const ns of namespaces) {
        for (const pid of netnsPids(ns)) {
            process.stderr.write(`lab: stopping pid ${pid} found in ${ns} without a record: ${commandLine(pid)}\n`);
            stopUnrecorded(pid);
            unrecorded++;
        }
    }
    for (const ns of namespaces) deleteNetns(ns);
    for (const host of state?.hosts ?? []) removeCgroups(host.name);
    const left = ourNetns();
    if (left.length > 0) throw new Error(`lab: namespaces left after teardown: ${left.join(", ")}`);
    if (state) removeMountPoints(state.mountPoints);
    if (records().length > 0) throw new Error("lab: processes are still recorded after teardown");
    fs.rmSync(STATE_DIR, { recursive: true, force: true });
    fs.rmSync(OWNER_FILE, { force: true });
    return { stopped, unrecorded, namespaces: namespaces.length };
}

/** Runs `down` once on SIGINT/SIGTERM, then exits (130/143). */
export function teardownOnSignals(): void {
    for (const [signal, code] of [
        ["SIGINT", 130],
        ["SIGTERM", 143],
    ] as const) {
        process.once(signal, () => {
            process.stderr.write(`\nlab: ${signal}: tearing down\n`);
            try {
                down();
            } finally {
                process.exit(code);
            }
        });
    }
}
