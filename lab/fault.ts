// A host's power cut and boot. Off: its processes stopped by PID, its namespace and its pods'
// deleted, its volatile state (/run) lost; its disk (the host root: /etc, keys, CNI state) kept.
// On: the provider plugs it in again, then it boots what it enabled (v6k8s-network.service,
// wg-quick@wg0, ...: lab/units.ts) and its pod is scheduled again. Removed: a node gone from the
// cluster for good (its machine, its provider link and its disk; see removeHost).
import * as fs from "fs";
import { TEST_POD } from "./config";
import { VOLATILE_DIRS, clearDirs } from "./machines";
import { addNetns, deleteNetns, netnsPids } from "./netns";
import { schedulePod } from "./pods";
import { stopRecorded, stopUnrecorded } from "./processes";
import { waitSettled } from "./readiness";
import { startStandIns } from "./servers";
import { LabHost, LabState, saveState } from "./state";
import { plugHost, unplugHost, waitForRouterAdvertisement } from "./topology";
import { boot } from "./units";

/**
 * Stops the host's recorded processes, then by PID whatever still runs in its pods' namespaces and
 * its own, and deletes those namespaces (nothing else). Returns the PIDs that had no record.
 */
function stopHost(state: LabState, host: LabHost): number[] {
    stopRecorded(`${host.name}-`);
    const unrecorded: number[] = [];
    for (const ns of [...state.pods.filter((p) => p.host === host.name).map((p) => p.ns), host.ns]) {
        for (const pid of netnsPids(ns)) {
            stopUnrecorded(pid);
            unrecorded.push(pid);
        }
        deleteNetns(ns);
    }
    return unrecorded;
}

export function powerOff(state: LabState, host: LabHost): void {
    stopHost(state, host);
    clearDirs(host, VOLATILE_DIRS);
    state.pods = state.pods.filter((p) => p.host !== host.name);
    saveState(state);
}

/** Returns the units it booted. */
export async function powerOn(state: LabState, host: LabHost): Promise<string[]> {
    await addNetns(host.ns);
    await plugHost(host);
    // As a server whose network is configured by router advertisements boots: the route first.
    if (host.uplinkByRouterAdvertisements) await waitForRouterAdvertisement(host);
    const units = await boot(host);
    await startStandIns(host);
    await schedulePod(state, host, TEST_POD);
    await waitSettled(state);
    return units;
}

/**
 * A node removed from the cluster: its recorded processes stopped by PID, its pods' and its own
 * namespaces deleted (nothing else), its provider link and route gone, its disk and its pods'
 * removed, and the state without it. Returns the PIDs found in its namespaces without a record
 * (stopped by PID too; there should be none).
 */
export function removeHost(state: LabState, host: LabHost): number[] {
    const pods = state.pods.filter((p) => p.host === host.name);
    const unrecorded = stopHost(state, host);
    unplugHost(host);
    for (const dir of [...pods.map((p) => p.root), host.root]) fs.rmSync(dir, { recursive: true, force: true });
    state.pods = state.pods.filter((p) => p.host !== host.name);
    state.hosts = state.hosts.filter((h) => h.name !== host.name);
    saveState(state);
    return unrecorded;
}
