#!/usr/bin/env bash
# Builds VersityGW (an S3 gateway serving a directory; Apache-2.0) from its Go module into a cache
# outside the repo, once: ${V6K8S_LAB_CACHE:-$HOME/.cache/v6k8s}/versitygw-<version>/versitygw
# The cluster lab's S3 store for etcd snapshots (lab/s3.ts). Prints the binary's path on the last
# line; exit 1 with the reason when it cannot be built.
set -euo pipefail
version=${V6K8S_VERSITYGW_VERSION:-v1.8.0}
cache=${V6K8S_LAB_CACHE:-$HOME/.cache/v6k8s}
dir="$cache/versitygw-$version"
bin="$dir/versitygw"

if [ -x "$bin" ]; then
    echo "== lab: VersityGW $version cached at $bin"
    echo "$bin"
    exit 0
fi
command -v go >/dev/null || { echo "lab/build-versitygw.sh: go is not installed" >&2; exit 1; }
echo "== lab: building VersityGW $version with $(go version) (first run only; several minutes)"
mkdir -p "$dir"
start=$(date +%s)
# GOTOOLCHAIN=local: never download another Go; the module proxy serves modules only.
GOTOOLCHAIN=local GOFLAGS=-mod=mod GOBIN="$dir.tmp-bin" \
    GOMODCACHE="$cache/gomodcache" GOCACHE="$cache/gocache" \
    go install "github.com/versity/versitygw/cmd/versitygw@$version"
mv -f "$dir.tmp-bin/versitygw" "$bin"
rmdir "$dir.tmp-bin" 2>/dev/null || true
echo "== lab: built VersityGW $version in $(( $(date +%s) - start )) s"
echo "$bin"
