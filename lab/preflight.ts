// Before anything is created: root, the tools, and the addresses of the stack.
import * as fs from "fs";
import { NODE_PACKAGES } from "../components/hosts/render/scripts";
import { ourNetns } from "./netns";
import { runSync } from "./run";
import { STATE_DIR } from "./config";

export const NEEDS_ROOT = "lab: needs root (network namespaces, bind mounts, iptables inside namespaces). Run it as root, e.g. `sudo npm run test:lab`.";

/** Exits the process with a clear message when not root (before any work). */
export function requireRoot(): void {
    if (process.getuid?.() !== 0) {
        process.stderr.write(`${NEEDS_ROOT}\n`);
        process.exit(1);
    }
}

const TOOLS = ["ip", "wg", "wg-quick", "wireguard-go", "tayga", "nft", "iptables", "ip6tables", "ping", "iperf3", "dig", "setsid", "mount", "/usr/lib/cni/bridge", "/usr/lib/cni/host-local", "/usr/lib/cni/firewall", "/usr/lib/cni/loopback"];

/** Throws naming every missing tool or Debian package (the rendered install script would need apt). */
export function checkTools(): void {
    const missing = TOOLS.filter((t) => runSync(["bash", "-c", `command -v ${t}`], { allowFail: true }).code !== 0);
    const packages = NODE_PACKAGES.filter((p) =>
        !runSync(["dpkg-query", "-W", "-f=${Status}", p], { allowFail: true }).stdout.includes("install ok installed"));
    if (missing.length + packages.length > 0) {
        throw new Error(`lab: missing ${[...missing, ...packages.map((p) => `package ${p}`)].join(", ")}: run lab/install-deps.sh as root first`);
    }
}

export class AlreadyUpError extends Error {
    constructor() {
        super("lab: a lab is already up (or a crashed one left state): run `npm run lab:down` first");
        this.name = "AlreadyUpError";
    }
}

export function isUp(): boolean {
    return fs.existsSync(STATE_DIR) || ourNetns().length > 0;
}
