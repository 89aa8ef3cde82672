// The remote commands that prepare a host, in order (Typhoon's order: copy files, then activate,
// then the cluster-wide step). Each is a plain string; a hash of it is the command's trigger.
import type { HostFiles } from "./files";
import { INSTALL_PACKAGES_PATH, MESH_UP_PATH, NETWORK_UNIT_PATH, NETWORK_UP_PATH, WIREGUARD_KEY_SCRIPT_PATH } from "./scripts";
import { WIREGUARD_INTERFACE } from "./hostNet";
import { OWNERS, OWN_FUNCTION, Owner, checkHostPath, ownCommand } from "./owned";

export function shellQuote(text: string): string {
    return `'${text.replace(/'/g, `'\\''`)}'`;
}

/**
 * The temp file a file is written to before the rename: hidden (a leading dot), because the
 * kubelet reads every other file in the static-pod directory as a pod, a half-written temp copy
 * of a manifest included, and kills that pod's containers when the temp file goes.
 */
export function tempPath(path: string): string {
    const slash = path.lastIndexOf("/");
    return `${path.slice(0, slash + 1)}.${path.slice(slash + 1)}.v6k8s-new`;
}

/**
 * `put PATH MODE`: the temp file (tempPath) becomes PATH (a rename: atomic) unless PATH already
 * holds exactly that content with that mode, in which case nothing on the host changes. A rename
 * of identical bytes is not harmless: the kubelet restarts a static pod whose manifest was
 * replaced, so a re-run of a step would restart the control plane (found by the cluster lab).
 */
export const PUT_FUNCTION = `put() {
    t="\${1%/*}/.\${1##*/}.v6k8s-new"
    if cmp -s "$t" "$1" 2>/dev/null && [ "$(stat -c %a "$1")" = "\${2#0}" ]; then
        rm -f "$t"
    else
        chmod "$2" "$t"
        mv -f "$t" "$1"
    fi
}`;

/**
 * `stage PATH MODE`: like put, but a differing file stays staged in its hidden temp file (which the
 * kubelet does not read) until a later step promotes it (promoteStagedCommand); an equal one is
 * dropped. For static-pod manifests whose change must wait for other hosts (a controller-manager
 * newer than an apiserver not yet upgraded).
 */
export const STAGE_FUNCTION = `stage() {
    t="\${1%/*}/.\${1##*/}.v6k8s-new"
    if cmp -s "$t" "$1" 2>/dev/null && [ "$(stat -c %a "$1")" = "\${2#0}" ]; then
        rm -f "$t"
    else
        chmod "$2" "$t"
        echo "v6k8s: $1 staged (a later step puts it in place)"
    fi
}`;

/**
 * A script that writes every file that differs, atomically with its mode (put), in the map's
 * order (callers put what others read first: kubeconfigs before the manifests that use them),
 * then, as `owner` (owned.ts), removes what that step wrote before and no longer renders.
 * Contents travel base64-encoded so no byte of them is ever interpreted by the shell. Paths in
 * `staged` are only staged (stage): they are still the step's own, and promoteStagedCommand puts
 * them in place.
 */
export function installFilesCommand(files: HostFiles, owner: Owner, staged: ReadonlySet<string> = new Set()): string {
    const lines = ["set -eu", "umask 022", PUT_FUNCTION, ...(staged.size > 0 ? [STAGE_FUNCTION] : []), OWN_FUNCTION];
    for (const [path, f] of files) {
        const tmp = tempPath(checkHostPath(path));
        const b64 = Buffer.from(f.content, "utf8").toString("base64");
        lines.push(
            `mkdir -p ${shellQuote(path.slice(0, path.lastIndexOf("/")) || "/")}`,
            `printf '%s' ${shellQuote(b64)} | base64 -d > ${shellQuote(tmp)}`,
            `${staged.has(path) ? "stage" : "put"} ${shellQuote(path)} ${f.mode}`,
        );
    }
    lines.push(ownCommand(owner, files.keys()));
    return `${lines.join("\n")}\n`;
}

/** Puts each of `paths` that installFilesCommand staged in place (a rename: atomic); nothing staged, nothing done. */
export function promoteStagedCommand(paths: readonly string[]): string {
    const lines = ["set -eu"];
    for (const path of paths) {
        const tmp = shellQuote(tempPath(checkHostPath(path)));
        lines.push(
            `if [ -e ${tmp} ]; then mv -f ${tmp} ${shellQuote(path)}; echo "v6k8s: ${path} in place"; else echo "v6k8s: ${path} unchanged"; fi`,
        );
    }
    return `${lines.join("\n")}\n`;
}

/**
 * Every command's `update`: pulumi-command runs it when only inputs other than the triggers
 * changed, which, as every trigger hashes what its step applies, means the connection (a new SSH
 * key or address). Nothing is re-applied then; without an `update` the whole step would run again.
 */
export const NOTHING_TO_REAPPLY = "true # v6k8s: only the connection changed, nothing to re-apply";

/** The last line of a file set on stdin: without it the set was cut short and nothing is trusted. */
export const STDIN_FILES_END = "end";

/**
 * Secret files (keys) travel on the command's stdin, never in its text: pulumi-command puts the
 * whole command text in its error message, which the engine prints, and the text is the shell's
 * argv on the host (/proc/<pid>/cmdline). One line per file, `<mode> <path> <base64>`, then
 * `end`. Paths are the program's own (no spaces).
 */
export function filesOnStdin(files: HostFiles): string {
    const lines = [...files].map(([path, f]) => {
        checkHostPath(path);
        return `${f.mode} ${path} ${Buffer.from(f.content, "utf8").toString("base64")}`;
    });
    return `${[...lines, STDIN_FILES_END].join("\n")}\n`;
}

/**
 * The fixed command that installs `filesOnStdin`: atomically (temp file + rename) and with umask
 * 077, so no temp file is ever readable by others. Only shell builtins (read, printf) see a key;
 * base64, chmod and mv get paths. Nothing is written unless the set ends with its `end` line. Then,
 * as `owner`, it removes the files of its previous set that this one lacks (a node that left the
 * control plane loses its etcd and apiserver keys); the list holds paths only.
 */
export function installStdinFilesCommand(owner: Owner): string {
    return `set -eu
umask 077
${PUT_FUNCTION}
${OWN_FUNCTION}
set --
while IFS=' ' read -r mode path data; do
    if [ "$mode" = ${STDIN_FILES_END} ]; then
        complete=yes
        break
    fi
    set -- "$@" "$mode" "$path" "$data"
done
[ "\${complete:-}" = yes ] || { echo "the file set on stdin was cut short: nothing written" >&2; exit 1; }
written=""
while [ $# -gt 0 ]; do
    dir=\${2%/*}
    [ -d "\${dir:-/}" ] || (umask 022 && mkdir -p "$dir")
    printf '%s' "$3" | base64 -d > "\${2%/*}/.\${2##*/}.v6k8s-new"
    put "$2" "$1"
    written="$written$2
"
    shift 3
done
printf '%s' "$written" | own ${owner}
`;
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
        files: installFilesCommand(networkFiles, OWNERS.nodeFiles),
        activate: ["set -eu", INSTALL_PACKAGES_PATH, NETWORK_UP_PATH, "systemctl daemon-reload", `systemctl enable ${unit}`, ""].join("\n"),
        wireguardKey: WIREGUARD_KEY_SCRIPT_PATH,
    };
}

/** Write the mesh config (all peers) and bring the mesh up, or update it in place. */
export function meshCommand(meshFiles: HostFiles): string {
    return [
        installFilesCommand(meshFiles, OWNERS.mesh).trimEnd(),
        MESH_UP_PATH,
        `systemctl enable wg-quick@${WIREGUARD_INTERFACE}`,
        "",
    ].join("\n");
}

export interface HostCommands extends PrepareCommands {
    readonly mesh: string;
}

export function hostCommands(networkFiles: HostFiles, meshFiles: HostFiles): HostCommands {
    return { ...prepareCommands(networkFiles), mesh: meshCommand(meshFiles) };
}
