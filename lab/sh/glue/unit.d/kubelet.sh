# Sourced by unit.sh before the kubelet starts (lab adaptation, lab/README glue table): several
# kubelets share this machine's cgroup tree, so each gets its own cgroup root (else each kills the
# others' pods as orphans), and the cgroupfs driver (containerd reports it too; no systemd here).
argv+=(--cgroup-root="/v6l-${V6L_NODE:?}" --cgroup-driver=cgroupfs)
