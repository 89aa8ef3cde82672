// A host's power cut and boot. Off: its processes stopped by PID, its namespace and its pods'
// deleted, its volatile state (/run) lost; its disk (the host root: /etc, keys, CNI state) kept.
// On: the provider plugs it in again, then it boots what it enabled (v6k8s-network.service,
// wg-quick@wg0, ...: lab/units.ts) and its pod is scheduled again.
import * as fs from "fs";
import * as path from "path";
import { POD_SEARCH, TEST_POD } from "./config";
import { VOLATILE_DIRS } from "./machines";
import { addNetns, deleteNetns, netnsPids } from "./netns";
import { addPod, setPodResolver } from "./pods";
import { stopRecorded, stopUnrecorded } from "./processes";
import { waitSettled } from "./readiness";
import { startStandIns } from "./servers";
import { LabHost, LabState, saveState } from "./state";
import { plugHost } from "./topology";
import { boot } from "./units";

export function powerOff(state: LabState, host: LabHost): void {
    stopRecorded(`${host.name}-`);
    const pods = state.pods.filter((p) => p.host === host.name);
    for (const ns of [...pods.map((p) => p.ns), host.ns]) {
        for (const pid of netnsPids(ns)) stopUnrecorded(pid);
        deleteNetns(ns);
    }
    for (const d of VOLATILE_DIRS) {
        const dir = path.join(host.root, d);
        fs.rmSync(dir, { recursive: true, force: true });
        fs.mkdirSync(dir, { recursive: true });
    }
    state.pods = state.pods.filter((p) => p.host !== host.name);
    saveState(state);
}

/** Returns the units it booted. */
export async function powerOn(state: LabState, host: LabHost): Promise<string[]> {
    await addNetns(host.ns);
    await plugHost(host);
    const units = await boot(host);
    await startStandIns(host);
    const pod = await addPod(host, TEST_POD);
    if (state.dns.server) setPodResolver(pod, state.dns.server, POD_SEARCH);
    state.pods.push(pod);
    saveState(state);
    await waitSettled(state);
    return units;
}
