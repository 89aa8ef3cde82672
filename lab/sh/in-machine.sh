#!/bin/bash
# Runs a command inside a cluster-lab host that nsenter already entered (lab/cluster/machine.ts):
# the lab's glue first on PATH (systemctl, journalctl, modprobe, apt-get), then exec.
set -euo pipefail
[ -n "${V6L_GLUE:-}" ] && export PATH="$V6L_GLUE:$PATH"
exec "$@"
