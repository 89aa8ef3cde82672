// The remote commands that prepare a host, in order (Typhoon's order: copy files, then activate,
// then the cluster-wide step). Each is a plain string; a hash of it is the command's trigger.
import { createHash } from "crypto";
import type { HostFiles } from "./files";
import { INSTALL_PACKAGES_PATH, MESH_UP_PATH, NETWORK_UNIT_PATH, NETWORK_UP_PATH, WIREGUARD_KEY_SCRIPT_PATH } from "./scripts";
import { WIREGUARD_INTERFACE } from "./hostNet";

export function sha256(text: string): string {
    return createHash("sha256").update(text).digest("hex");
}

function shellQuote(text: string): string {
    return `'${text.replace(/'/g, `'\\''`)}'`;
}

/**
 * A script that writes every file atomically (temp file + rename) with its mode, in the map's
 * order (callers put what others read first: kubeconfigs before the manifests that use them).
 * Contents travel base64-encoded so no byte of them is ever interpreted by the shell.
 */
export function installFilesCommand(files: HostFiles): string {
    const lines = ["set -eu", "umask 022"];
    for (const [path, f] of files) {
        const tmp = `${path}.v6k8s-new`;
        const b64 = Buffer.from(f.content, "utf8").toString("base64");
        lines.push(
            `mkdir -p ${shellQuote(path.slice(0, path.lastIndexOf("/")) || "/")}`,
            `printf '%s' ${shellQuote(b64)} | base64 -d > ${shellQuote(tmp)}`,
            `chmod ${f.mode} ${shellQuote(tmp)}`,
            `mv -f ${shellQuote(tmp)} ${shellQuote(path)}`,
        );
    }
    return `${lines.join("\n")}\n`;
}

export interface PrepareCommands {
    /** Copy the host's own files (sysctl, CNI, firewall, scripts, unit). */
    readonly files: string;
    /** Packages, then apply: sysctls, pod bridge, firewall; enable at boot. */
    readonly activate: string;
    /** Create the WireGuard key on the host once; stdout is the public key. */
    readonly wireguardKey: string;
}

export function prepareCommands(networkFiles: HostFiles): PrepareCommands {
    const unit = NETWORK_UNIT_PATH.slice(NETWORK_UNIT_PATH.lastIndexOf("/") + 1);
    return {
        files: installFilesCommand(networkFiles),
        activate: ["set -eu", INSTALL_PACKAGES_PATH, NETWORK_UP_PATH, "systemctl daemon-reload", `systemctl enable ${unit}`, ""].join("\n"),
        wireguardKey: WIREGUARD_KEY_SCRIPT_PATH,
    };
}

/** Write the mesh config (all peers) and bring the mesh up, or update it in place. */
export function meshCommand(meshFiles: HostFiles): string {
    return [installFilesCommand(meshFiles).trimEnd(), MESH_UP_PATH, `systemctl enable wg-quick@${WIREGUARD_INTERFACE}`, ""].join("\n");
}

export interface HostCommands extends PrepareCommands {
    readonly mesh: string;
}

export function hostCommands(networkFiles: HostFiles, meshFiles: HostFiles): HostCommands {
    return { ...prepareCommands(networkFiles), mesh: meshCommand(meshFiles) };
}
