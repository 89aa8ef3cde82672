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

/** `bin_dirs` needs containerd >= 2.1 (2.0 only knew `bin_dir`; 2.1+ refuses both at once). */
export function renderContainerdConfig(images: Pick<Images, "pause">): string {
    return `# Rendered by v6k8s: containerd 2.1+ (config version 3). Unset keys keep containerd's defaults.
version = 3

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
