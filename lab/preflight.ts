// Before anything is created: root, the tools, and the addresses of the stack.
import * as fs from "fs";
import { CNI_BIN_DIR } from "../components/controlplane/render/containerd";
import { NODE_PACKAGES } from "../components/hosts/render/scripts";
import { ourNetns } from "./netns";
import { procStat } from "./processes";
import { runSync } from "./run";
import { STATE_DIR } from "./config";

const NEEDS_ROOT =
    "lab: needs root (network namespaces, bind mounts, iptables inside namespaces). Run it as root, e.g. `sudo npm run test:lab`.";

/** Exits the process with a clear message when not root (before any work). */
export function requireRoot(): void {
    if (process.getuid?.() !== 0) {
        process.stderr.write(`${NEEDS_ROOT}\n`);
        process.exit(1);
    }
}

const TOOLS = [
    "ip",
    "wg",
    "wg-quick",
    "wireguard-go",
    "tayga",
    "nft",
    "iptables",
    "ip6tables",
    "ping",
    "iperf3",
    "dig",
    "setsid",
    "mount",
    ...["bridge", "host-local", "firewall", "loopback"].map((p) => `${CNI_BIN_DIR}/${p}`),
];

/** Throws naming every missing tool or Debian package (the rendered install script would need apt). */
export function checkTools(): void {
    const missing = TOOLS.filter((t) => runSync(["bash", "-c", `command -v ${t}`], { allowFail: true }).code !== 0);
    const packages = NODE_PACKAGES.filter(
        (p) => !runSync(["dpkg-query", "-W", "-f=${Status}", p], { allowFail: true }).stdout.includes("install ok installed"),
    );
    if (missing.length + packages.length > 0) {
        throw new Error(
            `lab: missing ${[...missing, ...packages.map((p) => `package ${p}`)].join(", ")}: run lab/install-deps.sh as root first`,
        );
    }
}

export class AlreadyUpError extends Error {
    constructor() {
        super("lab: a lab is already up (or a crashed one left state): run `npm run lab:down` first");
        this.name = "AlreadyUpError";
    }
}

/** Who is using the lab: a run that is still going (its PID and start time). */
export const OWNER_FILE = `${STATE_DIR}.owner`;

/** Records this process as the lab's user (a test or bench run, until it exits). */
export function claimLab(): void {
    fs.writeFileSync(OWNER_FILE, JSON.stringify({ pid: process.pid, starttime: procStat(process.pid)?.starttime }));
}

/**
 * Only one lab runs on a machine (its names are fixed). A run that finds a lab up tears it down
 * only when nobody uses it any more (left by a crashed or finished run, or by `npm run lab`);
 * while the run that brought it up is still going, it refuses.
 */
export function tearDownLeftovers(down: () => unknown, log: (l: string) => void): void {
    if (!isUp()) return;
    try {
        const owner = JSON.parse(fs.readFileSync(OWNER_FILE, "utf8")) as { pid: number; starttime?: number };
        if (owner.pid !== process.pid && owner.starttime !== undefined && procStat(owner.pid)?.starttime === owner.starttime) {
            throw new Error(
                `lab: another run (pid ${owner.pid}) is using the lab; wait for it, or stop it first (npm run lab:down tears down regardless)`,
            );
        }
    } catch (e) {
        if ((e as Error).message.startsWith("lab: another run")) throw e;
        // No owner file (an older or crashed lab): a leftover.
    }
    log("lab: tearing down what an earlier run left");
    down();
}

export function isUp(): boolean {
    return fs.existsSync(STATE_DIR) || ourNetns().length > 0;
}
