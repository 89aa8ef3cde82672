#!/usr/bin/env bash
# Builds the Kubernetes node and control-plane binaries the lab runs, from Go modules only (the Go
# module proxy is the one source; nothing is downloaded from a release site, nothing is copied):
#
#   ${V6K8S_CACHE:-$HOME/.cache/v6k8s}/k8s/<piece>-<version>/      the binaries of one piece
#   ${V6K8S_CACHE:-$HOME/.cache/v6k8s}/{gomodcache,gocache}          shared with lab/build-coredns.sh
#
# Pieces and what each gives (release layout, so the lab's release server can serve them as is):
#   kubernetes  kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl
#   etcd        etcd etcdctl etcdutl
#   containerd  bin/containerd bin/containerd-shim-runc-v2 bin/ctr
#   runc        runc (cgo, libseccomp; Debian's libseccomp-dev)
#   pause       pause (C, from k8s.io/kubernetes' build/pause/linux/pause.c, static)
#   coredns     coredns
#   conformance e2e.test ginkgo agnhost sample-apiserver nnp (the upstream conformance suite and the
#               binaries of its test images, from k8s.io/kubernetes at --conformance, the cluster's
#               Kubernetes version; only built when asked for: --only conformance)
# A piece whose directory holds a `.done` stamp is not built again (warm run: no work). A piece
# whose recipe gains an output gets a revision (REV below), which is part of its directory's name.
#
# Usage: tools/k8s-toolchain.sh --kubernetes 1.34.2 --etcd 3.6.8 --containerd 2.1.4 --runc 1.3.0 \
#          --pause 3.10.1 --coredns 1.12.1 [--only PIECE[,PIECE...]] [--print-dir PIECE] [--status]
# --status prints one line per piece, "<piece> <version> cached|missing <dir>", and builds nothing.
# A build prints "[i/N] building <piece> ..." and "[i/N] built <piece> in Ns" for the N pieces it
# builds (cached ones are not counted), and a line per Kubernetes binary.
# Versions come from the caller (lab/toolchain.ts reads them from the stack config and the
# project's version tables), never from this file.
set -euo pipefail

CACHE=${V6K8S_CACHE:-$HOME/.cache/v6k8s}
ROOT="$CACHE/k8s"
die() { echo "k8s-toolchain: $*" >&2; exit 1; }
log() { echo "k8s-toolchain: $*" >&2; }

declare -A V=()
ONLY="" PRINT="" STATUS=no
while [[ $# -gt 0 ]]; do
  case $1 in
    --kubernetes|--etcd|--containerd|--runc|--pause|--coredns|--conformance) V[${1#--}]=${2:?$1 needs a version}; shift ;;
    --only) ONLY=${2:?--only needs a list}; shift ;;
    --print-dir) PRINT=${2:?--print-dir needs a piece}; shift ;;
    --status) STATUS=yes ;;
    -h|--help) sed -n '2,20p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument: $1 (see --help)" ;;
  esac
  shift
done
ALL="kubernetes etcd containerd runc pause coredns"
# Built only when named: the conformance suite is not part of a cluster.
KNOWN="$ALL conformance"
PIECES=${ONLY//,/ }; PIECES=${PIECES:-$ALL}
for p in $PIECES ${PRINT}; do
  [[ " $KNOWN " == *" $p "* ]] || die "unknown piece '$p' (pieces: $KNOWN)"
  [[ ${V[$p]:-} =~ ^[0-9]+\.[0-9]+(\.[0-9]+)?$ ]] || die "--$p needs a version like 1.2.3 (got '${V[$p]:-}')"
done
# Recipe revisions: etcd 2 added etcdutl (restores: components/controlplane/render/etcdRestore.ts).
declare -A REV=([etcd]=2)
dir_of() { echo "$ROOT/$1-${V[$1]}${REV[$1]:+-r${REV[$1]}}"; }
if [[ -n $PRINT ]]; then dir_of "$PRINT"; exit 0; fi
if [[ $STATUS == yes ]]; then
  for p in $PIECES; do
    d=$(dir_of "$p"); if [[ -f $d/.done ]]; then s=cached; else s=missing; fi
    echo "$p ${V[$p]} $s $d"
  done
  exit 0
fi

command -v go >/dev/null || die "go is not on PATH (Go >= 1.26 is needed)"
export GOMODCACHE="$CACHE/gomodcache" GOCACHE="$CACHE/gocache"
export GOFLAGS="-mod=mod -buildvcs=false -trimpath" GOTOOLCHAIN=local GOWORK=off CGO_ENABLED=0
SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/v6k8s-k8s-toolchain.XXXXXX")
trap 'rm -rf "$SCRATCH"' EXIT

# wrapper NAME: a fresh module directory to build in; prints its path.
wrapper() { local w="$SCRATCH/$1"; mkdir -p "$w"; (cd "$w" && go mod init "v6k8s.local/toolchain/$1" >/dev/null 2>&1); echo "$w"; }
moddir() { (cd "$SCRATCH" && go mod download -json "$1" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p'); }

# The wrapper module of k8s.io/kubernetes@v$1 (staging modules replaced by their published
# versions, its GODEBUG defaults), importing the packages named after it; prints its path.
kubernetes_wrapper() { # name version package...
  local name=$1 v=$2 w k staging; shift 2
  w=$(wrapper "$name"); k=$(moddir "k8s.io/kubernetes@v$v")
  # k8s.io/kubernetes replaces its staging modules (k8s.io/api, client-go, ...) with ./staging/...,
  # which the module zip lacks; each is published as its own module at v0.<minor>.<patch>.
  staging=$(sed -n '/^replace (/,/^)/p' "$k/go.mod" | awk '/=>/{print $1}')
  [[ -n $staging ]] || die "no staging replaces found in k8s.io/kubernetes@v$v/go.mod"
  # Its go.mod says `go 1.24.0` and `godebug default=go1.24`: build with the same GODEBUG defaults.
  ( cd "$w"; go mod edit -go=1.24.0 -godebug=default=go1.24 -require="k8s.io/kubernetes@v$v"
    for m in $staging; do go mod edit -replace="$m=$m@v0.${v#1.}"; done
    printf '//go:build tools\n\npackage tools\n\nimport (\n' > tools.go
    for p in "$@"; do printf '\t_ "%s"\n' "$p" >> tools.go; done
    printf ')\n' >> tools.go
    go mod tidy >/dev/null )
  echo "$w"
}

# -X flags that give a k8s.io binary its version (kubectl version, the apiserver's /version, e2e.test's log).
version_ldflags() { # version
  local v=$1 minor=${1#1.} ld="" pkg; minor=${minor%%.*}
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld+=" -X $pkg.gitVersion=v$v -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
    ld+=" -X $pkg.buildDate=1970-01-01T00:00:00Z"
  done
  echo "$ld"
}

build_kubernetes() { # out
  local v=${V[kubernetes]} w c t0
  local cmds=(kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl)
  w=$(kubernetes_wrapper kubernetes "$v" "${cmds[@]/#/k8s.io/kubernetes/cmd/}")
  for c in "${cmds[@]}"; do
    t0=$(date +%s)
    (cd "$w" && go build -ldflags "-s -w $(version_ldflags "$v")" -o "$1/$c" "k8s.io/kubernetes/cmd/$c")
    log "  kubernetes: $c in $(( $(date +%s) - t0 ))s"
  done
}

build_etcd() {
  local v=${V[etcd]} w m
  w=$(wrapper etcd)
  # Pin every etcd module to the release: an unpinned sibling pulls the rest up to the newest.
  ( cd "$w"; for m in server etcdctl etcdutl api client/pkg client/v3 pkg; do
      case $m in client/v3) go mod edit -require="go.etcd.io/etcd/client/v3@v$v" ;; *) go mod edit -require="go.etcd.io/etcd/$m/v3@v$v" ;; esac
    done
    printf '//go:build tools\n\npackage tools\n\nimport (\n\t_ "go.etcd.io/etcd/server/v3"\n\t_ "go.etcd.io/etcd/etcdctl/v3"\n\t_ "go.etcd.io/etcd/etcdutl/v3"\n)\n' > tools.go
    go mod tidy >/dev/null
    go build -ldflags "-s -w" -o "$1/etcd" go.etcd.io/etcd/server/v3
    go build -ldflags "-s -w" -o "$1/etcdctl" go.etcd.io/etcd/etcdctl/v3
    go build -ldflags "-s -w" -o "$1/etcdutl" go.etcd.io/etcd/etcdutl/v3 )
}

build_containerd() {
  local v=${V[containerd]} w b
  w=$(wrapper containerd); mkdir -p "$1/bin"
  ( cd "$w"; go mod edit -require="github.com/containerd/containerd/v2@v$v"
    printf '//go:build tools\n\npackage tools\n\nimport (\n' > tools.go
    for b in containerd containerd-shim-runc-v2 ctr; do printf '\t_ "github.com/containerd/containerd/v2/cmd/%s"\n' "$b" >> tools.go; done
    printf ')\n' >> tools.go
    go mod tidy >/dev/null
    for b in containerd containerd-shim-runc-v2 ctr; do
      go build -tags "no_btrfs no_devmapper no_zfs" \
        -ldflags "-s -w -X github.com/containerd/containerd/v2/version.Version=v$v -X github.com/containerd/containerd/v2/version.Revision=go-module" \
        -o "$1/bin/$b" "github.com/containerd/containerd/v2/cmd/$b"
    done )
}

build_runc() {
  local v=${V[runc]} w
  [[ -f /usr/include/seccomp.h ]] || die "runc needs libseccomp-dev (apt-get install libseccomp-dev)"
  w=$(wrapper runc)
  ( cd "$w"; go mod edit -require="github.com/opencontainers/runc@v$v"
    printf '//go:build tools\n\npackage tools\n\nimport _ "github.com/opencontainers/runc"\n' > tools.go
    go mod tidy >/dev/null
    # runc's nsenter is C: cgo, linked statically as the release binary is.
    CGO_ENABLED=1 go build -tags "seccomp urfave_cli_no_docs netgo osusergo" \
      -ldflags "-s -w -X main.version=$v -X main.gitCommit=go-module -extldflags -static" \
      -o "$1/runc" github.com/opencontainers/runc )
}

build_conformance() { # out
  local v=${V[conformance]} w t0 k d
  local images=(k8s.io/kubernetes/test/images/agnhost k8s.io/sample-apiserver k8s.io/kubernetes/test/images/nonewprivs)
  w=$(kubernetes_wrapper conformance "$v" k8s.io/kubernetes/test/e2e github.com/onsi/ginkgo/v2/ginkgo "${images[@]}")
  t0=$(date +%s)
  # The suite is the e2e package's test binary, as upstream's release ships it (kubernetes-test tarball).
  (cd "$w" && go test -c -vet=off -ldflags "-s -w $(version_ldflags "$v")" -o "$1/e2e.test" k8s.io/kubernetes/test/e2e)
  log "  conformance: e2e.test in $(( $(date +%s) - t0 ))s"
  # ginkgo at the version the suite links (the module graph's), for its parallel runner.
  (cd "$w" && go build -ldflags "-s -w" -o "$1/ginkgo" github.com/onsi/ginkgo/v2/ginkgo)
  # The test images' own programs (lab/cluster/conformance/images.ts packages them).
  (cd "$w" && go build -ldflags "-s -w" -o "$1/agnhost" k8s.io/kubernetes/test/images/agnhost)
  (cd "$w" && go build -ldflags "-s -w $(version_ldflags "$v")" -o "$1/sample-apiserver" k8s.io/sample-apiserver)
  (cd "$w" && go build -ldflags "-s -w" -o "$1/nnp" k8s.io/kubernetes/test/images/nonewprivs)
  # ... and their data: agnhost's porter certificate, the kitten and nautilus pages.
  k=$(moddir "k8s.io/kubernetes@v$v"); mkdir -p "$1/data"
  cp "$k/test/images/agnhost/porter/localhost.crt" "$k/test/images/agnhost/porter/localhost.key" "$1/data/"
  for d in kitten nautilus; do mkdir -p "$1/data/$d"; cp "$k/test/images/$d/html/"* "$1/data/$d/"; done
  chmod -R u+w "$1/data"
  log "  conformance: ginkgo and the images' programs in $(( $(date +%s) - t0 ))s"
}

build_pause() {
  local v=${V[pause]} k
  k=$(moddir "k8s.io/kubernetes@v${V[kubernetes]:?pause is built from the k8s.io/kubernetes module: --kubernetes is needed}")
  gcc -Os -Wall -Werror -static -DVERSION="v$v" -o "$1/pause" "$k/build/pause/linux/pause.c"
}

build_coredns() {
  local v=${V[coredns]} w
  w=$(wrapper coredns)
  ( cd "$w"; go mod edit -require="github.com/coredns/coredns@v$v"
    printf '//go:build tools\n\npackage tools\n\nimport _ "github.com/coredns/coredns"\n' > tools.go
    go mod tidy >/dev/null
    go build -ldflags "-s -w" -o "$1/coredns" github.com/coredns/coredns )
}

T_ALL=$(date +%s) BUILT=() TODO=()
for p in $PIECES; do [[ -f $(dir_of "$p")/.done ]] || TODO+=("$p"); done
i=0
for p in "${TODO[@]}"; do
  d=$(dir_of "$p"); i=$((i + 1))
  log "[$i/${#TODO[@]}] building $p ${V[$p]} into $d ..."
  t0=$(date +%s); rm -rf "$d.tmp"; mkdir -p "$d.tmp"
  "build_$p" "$d.tmp"
  printf 'version %s\nbuilt %s\nseconds %s\n' "${V[$p]}" "$(date -u +%FT%TZ)" "$(( $(date +%s) - t0 ))" > "$d.tmp/.done"
  rm -rf "$d"; mv "$d.tmp" "$d"
  log "[$i/${#TODO[@]}] built $p ${V[$p]} in $(( $(date +%s) - t0 ))s"
  BUILT+=("$p")
done
log "done in $(( $(date +%s) - T_ALL ))s; built: ${BUILT[*]:-nothing (all cached)}"
