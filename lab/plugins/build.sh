#!/usr/bin/env bash
# Builds the lab's stand-in provider plugins (pulumi-resource-command, pulumi-resource-tls; see
# lab/plugins/README.md) from this Go module into a cache directory keyed by their sources, and
# prints that directory. Lab only: the lab puts the directory first on PATH for its own `pulumi`
# runs; nothing a user installs or runs does (tools/pulumi-toolchain.sh's bin never holds them).
#
#   ${V6K8S_TOOLCHAIN_CACHE:-$HOME/.cache/v6k8s/toolchain}/lab-plugins/<sha256 of the sources>/
#
# Usage: lab/plugins/build.sh [--print-dir]   (--print-dir: the directory, built or not)
#        lab/plugins/build.sh --test          (go test ./... with the same caches)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE_ROOT=${V6K8S_TOOLCHAIN_CACHE:-$HOME/.cache/v6k8s/toolchain}
export GOMODCACHE="$CACHE_ROOT/gomodcache" GOCACHE="$CACHE_ROOT/gocache"
export GOFLAGS="-mod=readonly -trimpath" GOTOOLCHAIN=local GOWORK=off CGO_ENABLED=0

key=$(cd "$here" && find . -type f \( -name '*.go' ! -name '*_test.go' -o -name go.mod -o -name go.sum \) | LC_ALL=C sort |
    xargs sha256sum | sha256sum | cut -c1-16)
out="$CACHE_ROOT/lab-plugins/$key"
case ${1:-} in
  --print-dir) echo "$out"; exit 0 ;;
  --test) command -v go >/dev/null || { echo "lab/plugins/build.sh: go is not on PATH" >&2; exit 1; }
    cd "$here" && exec go test ./... ;;
  "") ;;
  *) echo "lab/plugins/build.sh: unknown argument $1" >&2; exit 2 ;;
esac
command -v go >/dev/null || { echo "lab/plugins/build.sh: go is not on PATH (Go >= 1.26 is needed)" >&2; exit 1; }
if [[ ! -f $out/.done ]]; then
  t0=$(date +%s)
  echo "lab/plugins/build.sh: building the lab's stand-in plugins into $out ..." >&2
  rm -rf "$out.tmp"; mkdir -p "$out.tmp"
  (cd "$here" && go build -ldflags "-s -w" -o "$out.tmp/" ./cmd/...)
  date -u +%FT%TZ > "$out.tmp/.done"
  rm -rf "$out"; mv "$out.tmp" "$out"
  echo "lab/plugins/build.sh: built in $(( $(date +%s) - t0 ))s" >&2
fi
echo "$out"
