// containerd 2.x: its config (schema version 3) and, for the release tarball, its systemd unit.
// Only what differs from containerd's defaults is set.
import { posix } from "path";
import { CNI_CONFLIST_PATH } from "../../hosts/render/cni";
import { Images } from "./inputs";

export const CONTAINERD_CONFIG_PATH = "/etc/containerd/config.toml";
export const CONTAINERD_UNIT_PATH = "/etc/systemd/system/containerd.service";
/** Where the release tarball, unpacked into /usr/local, puts the daemon. */
export const CONTAINERD_BINARY = "/usr/local/bin/containerd";
/** Debian's containernetworking-plugins installs the CNI plugins here (not /opt/cni/bin). */
export const CNI_BIN_DIR = "/usr/lib/cni";
export const CNI_CONF_DIR = posix.dirname(CNI_CONFLIST_PATH);

/** A TOML basic string: JSON's escaping is a subset of TOML's for these. */
const str = (s: string) => JSON.stringify(s);

/** containerd's per-registry host configuration directory (`<dir>/<registry>/hosts.toml`). */
export const CONTAINERD_CERTS_DIR = "/etc/containerd/certs.d";

/** The upstream endpoint containerd falls back to after the mirrors (Docker Hub's is not its name). */
function upstreamServer(registry: string): string {
    return registry === "docker.io" ? "https://registry-1.docker.io" : `https://${registry}`;
}

/**
 * `hosts.toml` for one registry: the mirror first (pull and resolve, never push), then the registry.
 * A mirror URL with a path serves that registry's repositories under it: containerd then uses the
 * path as given (`override_path`) instead of appending `/v2`.
 */
export function renderRegistryHosts(registry: string, mirror: string): string {
    const url = new URL(mirror);
    const withPath = url.pathname !== "/" && url.pathname !== "";
    return `# Rendered by v6k8s: pulls from ${registry} try the mirror first.
server = ${str(upstreamServer(registry))}

[host.${str(mirror)}]
  capabilities = ["pull", "resolve"]
${withPath ? "  override_path = true\n" : ""}`;
}

/** One hosts.toml per mirrored registry, by path. */
export function registryHostsFiles(mirrors: Readonly<Record<string, string>>): [string, string][] {
    return Object.keys(mirrors)
        .sort()
        .map((r) => [posix.join(CONTAINERD_CERTS_DIR, r, "hosts.toml"), renderRegistryHosts(r, mirrors[r])]);
}

/** `bin_dirs` needs containerd >= 2.1 (2.0 only knew `bin_dir`; 2.1+ refuses both at once). */
export function renderContainerdConfig(images: Pick<Images, "pause">, mirrors: Readonly<Record<string, string>> = {}): string {
    const registry =
        Object.keys(mirrors).length === 0
            ? ""
            : `
[plugins.'io.containerd.cri.v1.images'.registry]
  # Mirrors: one hosts.toml per registry (pull-through mirror first, then the registry).
  config_path = ${str(CONTAINERD_CERTS_DIR)}
`;
    return `# Rendered by v6k8s: containerd 2.1+ (config version 3). Unset keys keep containerd's defaults.
version = 3
${registry}
[plugins.'io.containerd.cri.v1.images'.pinned_images]
  # Pinned, so image garbage collection never removes the sandbox image of running pods.
  sandbox = ${str(images.pause)}

[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]
  runtime_type = "io.containerd.runc.v2"

[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
  # The kubelet uses the systemd cgroup driver; runc must use the same one.
  SystemdCgroup = true

[plugins.'io.containerd.cri.v1.runtime'.cni]
  bin_dirs = [${str(CNI_BIN_DIR)}]
  conf_dir = ${str(CNI_CONF_DIR)}
`;
}

/** containerd's upstream unit, for the release tarball (Debian's package brings its own). */
export function renderContainerdUnit(): string {
    return `# Rendered by v6k8s: containerd from the release tarball (upstream's unit).
[Unit]
Description=containerd container runtime
Documentation=https://containerd.io
After=network.target dbus.service

[Service]
ExecStartPre=-/sbin/modprobe overlay
ExecStart=${CONTAINERD_BINARY}
Type=notify
# containerd creates the pods' cgroups under its own; systemd must leave them to it.
Delegate=yes
# Stopping containerd must not stop the containers (their shims live in its cgroup).
KillMode=process
Restart=always
RestartSec=5
LimitNPROC=infinity
LimitCORE=infinity
TasksMax=infinity
OOMScoreAdjust=-999

[Install]
WantedBy=multi-user.target
`;
}
