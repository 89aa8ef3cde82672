# Sourced by unit.sh before containerd starts (lab adaptation, lab/README glue table):
# - no systemd here: runc uses the cgroupfs driver (a copy of the rendered config with
#   SystemdCgroup = false; the file on the host stays as rendered);
# - no CAP_SYS_RESOURCE in this sandbox: runtime/runc, first on containerd's (and so the shims')
#   PATH, clamps a negative oom_score_adj to 0 before running the real runc.
own="${V6L_GLUE_STATE:?}"
mkdir -p "$own"
sed 's/^\([[:space:]]*SystemdCgroup[[:space:]]*=[[:space:]]*\)true/\1false/' /etc/containerd/config.toml > "$own/containerd.toml"
argv+=(--config "$own/containerd.toml")
export PATH="$(dirname "${BASH_SOURCE[0]}")/../runtime:$PATH"
# Type=notify: ready once its API answers on the socket.
ready_check="/usr/local/bin/ctr --address /run/containerd/containerd.sock version"
