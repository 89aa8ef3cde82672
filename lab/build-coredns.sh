#!/usr/bin/env bash
# Builds CoreDNS from its Go module into a cache outside the repo, once:
#   ${V6K8S_LAB_CACHE:-$HOME/.cache/v6k8s}/coredns-<version>/coredns
# Prints the binary's path on the last line. Exit 1 (with the reason) when it cannot be built; the
# lab then SKIPS its DNS64 check, loudly. The version is pinned here and in lab/coredns.ts.
set -euo pipefail
version=${V6K8S_COREDNS_VERSION:-v1.15.0}
cache=${V6K8S_LAB_CACHE:-$HOME/.cache/v6k8s}
dir="$cache/coredns-$version"
bin="$dir/coredns"

if [ -x "$bin" ] && "$bin" -version 2>/dev/null | grep -q "CoreDNS-${version#v}"; then
    echo "== lab: CoreDNS $version cached at $bin"
    echo "$bin"
    exit 0
fi
command -v go >/dev/null || { echo "lab/build-coredns.sh: go is not installed (CoreDNS needs Go >= 1.26 to build)" >&2; exit 1; }
echo "== lab: building CoreDNS $version with $(go version) (first run only; several minutes)"
mkdir -p "$dir"
start=$(date +%s)
# GOTOOLCHAIN=local: never download another Go; the module proxy serves modules only.
GOTOOLCHAIN=local GOFLAGS=-mod=mod GOBIN="$dir.tmp-bin" \
    GOMODCACHE="$cache/gomodcache" GOCACHE="$cache/gocache" \
    go install "github.com/coredns/coredns@$version"
mv -f "$dir.tmp-bin/coredns" "$bin"
rmdir "$dir.tmp-bin" 2>/dev/null || true
echo "== lab: built $("$bin" -version | head -1) in $(( $(date +%s) - start )) s"
echo "$bin"
