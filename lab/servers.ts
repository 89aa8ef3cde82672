// Long-running servers of the lab (each a recorded daemon): whoami web servers in the internet
// namespaces, stand-in listeners on the hosts.
import * as fs from "fs";
import * as path from "path";
import { hostPort } from "../components/common/net";
import { INET4_NS, INET4_SERVER, INET6_NS, INET6_SERVER, STAND_IN_PORTS, WHOAMI_PORT } from "./config";
import { inNs } from "./netns";
import { PidRecord, isRunning, logFile, startDaemon } from "./processes";
import { sleep } from "./run";
import type { LabHost } from "./state";

const WHOAMI = path.join(__dirname, "servers", "whoami.ts");

export function nodeArgv(script: string, args: readonly string[]): string[] {
    return [process.execPath, "-r", require.resolve("ts-node/register/transpile-only"), script, ...args];
}

/** Waits until the daemon's log shows `marker`; fails with the log when it died or timed out. */
export async function waitForLog(rec: PidRecord, marker: string | RegExp, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        const log = fs.existsSync(logFile(rec.name)) ? fs.readFileSync(logFile(rec.name), "utf8") : "";
        if (typeof marker === "string" ? log.includes(marker) : marker.test(log)) return;
        if (!isRunning(rec) || Date.now() > deadline) {
            throw new Error(
                `lab: ${rec.name} (pid ${rec.pid}) ${isRunning(rec) ? "did not become ready" : "exited"}; its log:\n${log.trim()}`,
            );
        }
        await sleep(50);
    }
}

export async function startWhoami(name: string, ns: string, listen: readonly string[]): Promise<PidRecord> {
    const rec = startDaemon(name, inNs(ns, nodeArgv(WHOAMI, listen)));
    await waitForLog(rec, "ready");
    return rec;
}

export async function startInternetServers(): Promise<void> {
    await Promise.all([
        startWhoami("inet6-whoami", INET6_NS, [hostPort(INET6_SERVER, WHOAMI_PORT)]),
        startWhoami("inet4-whoami", INET4_NS, [`${INET4_SERVER}:${WHOAMI_PORT}`]),
    ]);
}

/** Listeners on every address of the host for the ports the control plane will use (and SSH). */
export async function startStandIns(host: LabHost): Promise<PidRecord> {
    return startWhoami(
        `${host.name}-stand-ins`,
        host.ns,
        Object.values(STAND_IN_PORTS).map((p) => `[::]:${p}`),
    );
}
