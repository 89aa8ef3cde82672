// What each file-writing step wrote on a host, so it can take away what it no longer renders: a
// node that loses the control-plane role must lose etcd's and the apiserver's static pods (and
// their keys), a host that loses IPv4 must lose Tayga and its DNS64 resolver. Without a record,
// a step cannot tell its own old files from anyone else's, so each step keeps a list of the paths
// it wrote (its "owned list") and removes, on its next run, what the previous list had and the
// new render lacks. Pure: text only.
//
// Units: no step removes a unit by name. A unit file is a file like any other; when a step's list
// loses one, the unit is stopped and disabled before the file goes. That covers every unit the
// program enables whichever step enables it (the activate and start steps enable units whose files
// the files steps write): v6k8s-network (node files), v6k8s-nat64 and v6k8s-dns64 (NAT64 gateway),
// containerd, kubelet and v6k8s-etcd-backup.timer (Kubernetes files). wg-quick@wg0 comes from
// wireguard-tools and is always wanted.

/** Where the lists live on a host: `<OWNED_DIR>/<owner>.list`, one absolute path per line. */
export const OWNED_DIR = "/var/lib/v6k8s/owned";
/** Overrides OWNED_DIR for the tests (a scratch directory); nothing sets it on a host. */
export const OWNED_DIR_ENV = "V6K8S_OWNED_DIR";

/**
 * The list of each file-writing step. One name per step, never shared: a list says what one step
 * may remove. A step keeps its name for good (renaming it would orphan what the old list names).
 */
export const OWNERS = {
    /** node-<name>-files: sysctls, modules, CNI, firewall, scripts, the network unit. */
    nodeFiles: "node-files",
    /** mesh-<name>: wg0.conf. */
    mesh: "mesh",
    /** nat64-<name>-files on an IPv4 host, nat64-<name>-cleanup on any other (nat64/gateway.ts). */
    nat64: "nat64",
    /** dns-<name>: resolv.conf and the dhclient hook. */
    hostDns: "dns",
    /** k8s-<name>-pki: certificates and keys (the list holds paths only). */
    kubernetesPki: "k8s-pki",
    /** k8s-<name>-files: runtime, kubelet, kubeconfigs, static pods, scripts, units. */
    kubernetesFiles: "k8s-files",
    /** k8s-<name>-etcd-backup-s3: the S3 store's settings and credentials (the list holds paths only). */
    etcdBackupStore: "etcd-backup-s3",
} as const;

export type Owner = (typeof OWNERS)[keyof typeof OWNERS];

/**
 * A path a step may write and later remove: absolute, normalised, nothing a shell or a line-based
 * list could misread (no whitespace, no control characters). The program's own paths all qualify;
 * anything else is a bug to stop at render time, not a file to half-handle on a host.
 */
export function checkHostPath(path: string): string {
    if (!path.startsWith("/") || path.endsWith("/"))
        throw new RangeError(`${JSON.stringify(path)}: a host file path must be absolute and name a file`);
    // eslint-disable-next-line no-control-regex
    if (/[\s\x00-\x1f\x7f]/.test(path))
        throw new RangeError(`${JSON.stringify(path)}: a host file path cannot contain whitespace or control characters`);
    if (
        path
            .split("/")
            .slice(1)
            .some((s) => s === "" || s === "." || s === "..")
    ) {
        throw new RangeError(`${JSON.stringify(path)}: a host file path must be normalised (no empty, "." or ".." segments)`);
    }
    return path;
}

/**
 * `own OWNER`, the rendered paths one per line on stdin, run after the step wrote its files:
 *   1. what OWNER's previous list names and stdin does not is "gone", unless another step's list
 *      names it (a file moved to another step is that step's now, whichever runs first);
 *   2. gone units (files directly in /etc/systemd/system) are stopped and disabled first, while the
 *      files and scripts they use still exist;
 *   3. gone files are removed, last written first: the kubelet's static-pod manifests (written last,
 *      after what they mount) go first, and the kubelet stops those pods;
 *   4. systemd reloads if anything under /etc/systemd went;
 *   5. the new list replaces the old one (atomically, untouched when equal); an empty render keeps
 *      no list at all.
 * Without a previous list (the first run, or a host from before the lists) nothing is removed: only
 * what a list names is ever the step's. A failure before step 5 keeps the old list, so the next run
 * removes the rest. POSIX sh (the pki step also runs under dash); paths never hold whitespace
 * (checkHostPath), and are read line by line, quoted.
 */
export const OWN_FUNCTION = `own() {
    o_dir=\${${OWNED_DIR_ENV}:-${OWNED_DIR}}
    o_list="$o_dir/$1.list"
    o_next="$o_dir/.$1.list.v6k8s-new"
    o_gone="$o_dir/.$1.gone.v6k8s-new"
    [ -d "$o_dir" ] || (umask 022 && mkdir -p "$o_dir")
    cat > "$o_next"
    : > "$o_gone"
    if [ -f "$o_list" ]; then
        tac "$o_list" | while IFS= read -r o_path; do
            case "$o_path" in /*) ;; *) continue ;; esac
            if grep -qxF -- "$o_path" "$o_next"; then continue; fi
            for o_other in "$o_dir"/*.list; do
                if [ "$o_other" != "$o_list" ] && grep -qxF -- "$o_path" "$o_other" 2>/dev/null; then continue 2; fi
            done
            printf '%s\\n' "$o_path"
        done > "$o_gone"
    fi
    while IFS= read -r o_path; do
        case "$o_path" in
            */etc/systemd/system/*/*) ;;
            */etc/systemd/system/*.service | */etc/systemd/system/*.timer | */etc/systemd/system/*.socket | */etc/systemd/system/*.path)
                if [ -e "$o_path" ]; then
                    echo "v6k8s: stopping and disabling \${o_path##*/} (no longer rendered)"
                    systemctl disable --now "\${o_path##*/}"
                fi ;;
        esac
    done < "$o_gone"
    o_reload=no
    while IFS= read -r o_path; do
        if [ -d "$o_path" ] && [ ! -L "$o_path" ]; then
            echo "v6k8s: $o_path is a directory now, not the file this step wrote: left alone" >&2
            continue
        fi
        if [ -e "$o_path" ] || [ -L "$o_path" ]; then
            echo "v6k8s: removing $o_path (no longer rendered)"
            rm -f -- "$o_path"
        fi
        case "$o_path" in */etc/systemd/*) o_reload=yes ;; esac
    done < "$o_gone"
    if [ "$o_reload" = yes ]; then systemctl daemon-reload; fi
    rm -f "$o_gone"
    if [ ! -s "$o_next" ]; then
        rm -f "$o_next" "$o_list"
    elif cmp -s "$o_next" "$o_list"; then
        rm -f "$o_next"
    else
        mv -f "$o_next" "$o_list"
    fi
}`;

/** The call that records `paths` (in write order) as `owner`'s and removes what it no longer writes. */
export function ownCommand(owner: Owner, paths: Iterable<string>): string {
    const list = [...paths].map(checkHostPath);
    if (list.length === 0) return `own ${owner} </dev/null`;
    return [`own ${owner} <<'V6K8S_OWNED'`, ...list, "V6K8S_OWNED"].join("\n");
}
