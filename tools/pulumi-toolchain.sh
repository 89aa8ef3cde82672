#!/usr/bin/env bash
# Build the Pulumi CLI, the Node.js language host and the provider plugins this project needs from
# their Go modules (the vendor's download site is not reachable here), into a cache outside the repo:
#
#   ${V6K8S_TOOLCHAIN_CACHE:-$HOME/.cache/v6k8s/toolchain}/<@pulumi/pulumi version>/bin
#
# Versions are read at run time from node_modules/@pulumi/*/package.json (else package.json); the
# only version-specific data here is the table of known release commits (KNOWN_COMMITS). A warm run (every binary present with a matching stamp) does no
# work. Every piece is attempted; the ones that cannot be built are named at the end (exit 1).
# See docs/pulumi-toolchain.md for what was measured and what the module proxy refuses.
#
# Usage: tools/pulumi-toolchain.sh [--print-path] [--only NAME[,NAME...]] [--list]
#   --print-path   print only the bin directory (nothing is built); e.g.
#                  export PATH="$(tools/pulumi-toolchain.sh --print-path):$PATH"
#   --only         build only these pieces: pulumi language-nodejs command kubernetes hcloud tls
#   --list         print each piece's module and version, build nothing
# Environment:
#   V6K8S_TOOLCHAIN_CACHE       cache root (default $HOME/.cache/v6k8s/toolchain)
#   V6K8S_GOVERSION_<PIECE>     Go module version to use for a piece instead of the resolved one
#                               (PIECE: PULUMI, LANGUAGE_NODEJS, COMMAND, KUBERNETES, HCLOUD, TLS);
#                               for the providers and the language host it must be the
#                               pseudo-version of the commit of the matching release tag.
#   V6K8S_BUILD_JOBS            go build -p (default: number of CPUs)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE_ROOT=${V6K8S_TOOLCHAIN_CACHE:-$HOME/.cache/v6k8s/toolchain}
ALL_PIECES="pulumi language-nodejs command kubernetes hcloud tls"

die() { echo "pulumi-toolchain: $*" >&2; exit 1; }
log() { echo "pulumi-toolchain: $*" >&2; }

# ---- versions, from the installed npm packages (the one place they are pinned is package.json) ----
npm_version() { # npm_version <package name>
  local pkg=$1 v=""
  if [[ -f "$ROOT/node_modules/$pkg/package.json" ]]; then
    v=$(sed -n 's/^[[:space:]]*"version":[[:space:]]*"\([^"]*\)".*/\1/p' "$ROOT/node_modules/$pkg/package.json" | head -n1)
  fi
  if [[ -z $v ]]; then # not installed: the exact pin in package.json
    v=$(sed -n "s/^[[:space:]]*\"${pkg//\//\\/}\":[[:space:]]*\"[=^~]\{0,1\}\([0-9][^\"]*\)\".*/\1/p" "$ROOT/package.json" | head -n1)
  fi
  [[ $v =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "cannot read an exact version of $pkg from node_modules or package.json (got '${v}')"
  echo "$v"
}

PULUMI_NPM=$(npm_version @pulumi/pulumi)
BIN="$CACHE_ROOT/$PULUMI_NPM/bin"

MODE=build ONLY=""
while [[ $# -gt 0 ]]; do
  case $1 in
    --print-path) MODE=print-path ;;
    --list) MODE=list ;;
    --only) ONLY=${2:?--only needs a list}; shift ;;
    --only=*) ONLY=${1#--only=} ;;
    -h|--help) sed -n '2,25p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument: $1 (see --help)" ;;
  esac
  shift
done
if [[ $MODE == print-path ]]; then echo "$BIN"; exit 0; fi

# ---- the pieces: binary, Go module, main package, npm version the binary must match ----
# Each provider is an untagged Go module in a subdirectory of its repository: the version to build is
# the pseudo-version of the commit its release tag vX.Y.Z points at. The module proxy cannot map a
# tag of the repository to that, so the known commits are listed here, keyed by npm version; a
# version not listed needs V6K8S_GOVERSION_<PIECE>.
KNOWN_COMMITS="
command@1.2.1=v0.0.0-20260303235922-7f3eb6f3b77c
kubernetes@4.25.0=v4.0.0-20260115033456-f47bc2d6f199
"
piece_info() { # sets P_BIN P_MOD P_MAIN P_NPM P_ENV for piece $1
  case $1 in
    pulumi) P_BIN=pulumi P_MOD=github.com/pulumi/pulumi/pkg/v3 P_MAIN=github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
      P_NPM=$PULUMI_NPM P_ENV=V6K8S_GOVERSION_PULUMI ;;
    language-nodejs) P_BIN=pulumi-language-nodejs P_MOD=github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3
      P_MAIN=$P_MOD P_NPM=$PULUMI_NPM P_ENV=V6K8S_GOVERSION_LANGUAGE_NODEJS ;;
    command) P_BIN=pulumi-resource-command P_MOD=github.com/pulumi/pulumi-command/provider
      P_MAIN=$P_MOD/cmd/pulumi-resource-command P_NPM=$(npm_version @pulumi/command) P_ENV=V6K8S_GOVERSION_COMMAND ;;
    kubernetes) P_BIN=pulumi-resource-kubernetes P_MOD=github.com/pulumi/pulumi-kubernetes/provider/v4
      P_MAIN=$P_MOD/cmd/pulumi-resource-kubernetes P_NPM=$(npm_version @pulumi/kubernetes) P_ENV=V6K8S_GOVERSION_KUBERNETES ;;
    hcloud) P_BIN=pulumi-resource-hcloud P_MOD=github.com/pulumi/pulumi-hcloud/provider
      P_MAIN=$P_MOD/cmd/pulumi-resource-hcloud P_NPM=$(npm_version @pulumi/hcloud) P_ENV=V6K8S_GOVERSION_HCLOUD ;;
    tls) P_BIN=pulumi-resource-tls P_MOD=github.com/pulumi/pulumi-tls/provider/v5
      P_MAIN=$P_MOD/cmd/pulumi-resource-tls P_NPM=$(npm_version @pulumi/tls) P_ENV=V6K8S_GOVERSION_TLS ;;
    *) die "unknown piece '$1' (pieces: $ALL_PIECES)" ;;
  esac
}

# ---- Go environment: module and build caches shared by every version, under the cache root ----
command -v go >/dev/null || die "go is not on PATH (Go >= 1.26 is needed)"
export GOMODCACHE="$CACHE_ROOT/gomodcache" GOCACHE="$CACHE_ROOT/gocache"
export GOFLAGS="-mod=mod -buildvcs=false" GOTOOLCHAIN=local CGO_ENABLED=0 GOWORK=off
JOBS=${V6K8S_BUILD_JOBS:-$(nproc 2>/dev/null || echo 2)}

# go mod download -json MODULE@VERSION; prints the JSON, returns non-zero with the error on stderr.
mod_download() {
  local out
  out=$(cd "$SCRATCH" && go mod download -json "$1" 2>/dev/null) || true
  if [[ -z $out ]] || grep -q '"Error"' <<<"$out"; then
    { sed -n 's/.*"Error": "\(.*\)",\{0,1\}$/\1/p' <<<"$out" | sed 's/\\n\\t/ /g; s/\\n/ /g'; } >&2
    [[ -n $out ]] || echo "go mod download $1 printed nothing" >&2
    return 1
  fi
  echo "$out"
}
json_field() { sed -n "s/^[[:space:]]*\"$1\": \"\(.*\)\",\{0,1\}$/\1/p" | head -n1; }

# The pkg/v3 version for the CLI: the npm version if the proxy serves its zip, else the nearest
# version it lists that it also serves (newer preferred on a tie).
resolve_pulumi_version() {
  local want="v$PULUMI_NPM" err
  if [[ -n ${V6K8S_GOVERSION_PULUMI:-} ]]; then echo "$V6K8S_GOVERSION_PULUMI"; return; fi
  if err=$(mod_download "github.com/pulumi/pulumi/pkg/v3@$want" 2>&1 >/dev/null); then echo "$want"; return; fi
  log "pulumi: the module proxy refuses github.com/pulumi/pulumi/pkg/v3@$want: $err"
  local versions v
  versions=$(cd "$SCRATCH" && go list -m -versions github.com/pulumi/pulumi/pkg/v3 2>/dev/null | cut -d' ' -f2-) || true
  for v in $(for v in $(tr ' ' '\n' <<<"$versions" | grep -E '^v3\.[0-9]+\.[0-9]+$'); do
               IFS=. read -r _ mi pa <<<"${v#v}"; IFS=. read -r _ wmi wpa <<<"$PULUMI_NPM"
               d=$(( (mi - wmi) * 1000 + pa - wpa )); a=${d#-}; t=$([[ $d -ge 0 ]] && echo 0 || echo 1)
               printf '%08d %s %s\n' "$a" "$t" "$v"
             done | sort | head -n 4 | cut -d' ' -f3); do
    if mod_download "github.com/pulumi/pulumi/pkg/v3@$v" >/dev/null 2>&1; then
      log "pulumi: using the nearest version the proxy serves: $v (npm @pulumi/pulumi is $PULUMI_NPM)"
      echo "$v"; return
    fi
  done
  return 1
}

# The language host. Preferred: module github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3
# (untagged) at the pseudo-version of the commit of the pkg/v3 tag (Origin.Hash in the proxy's .info).
# Prints "MODULE VERSION MAIN". If the proxy gives no commit or refuses that module, falls back to the
# newest sdk/v3 release before v3.69.0 that the proxy serves: up to v3.68.0 the language host was the
# package sdk/v3/nodejs/cmd/pulumi-language-nodejs inside the (tagged) sdk/v3 module.
LANG_MOD=github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3
resolve_language() {
  local pv=$1 info hash time ver versions v
  if [[ -n ${V6K8S_GOVERSION_LANGUAGE_NODEJS:-} ]]; then echo "$LANG_MOD $V6K8S_GOVERSION_LANGUAGE_NODEJS $LANG_MOD"; return; fi
  if info=$(mod_download "github.com/pulumi/pulumi/pkg/v3@$pv" 2>/dev/null); then
    hash=$(sed -n 's/^[[:space:]]*"Hash": "\([0-9a-f]\{40\}\)".*/\1/p' <<<"$info" | head -n1)
    if [[ -n $hash ]]; then
      time=$(sed -n 's/.*"Time": *"\([^"]*\)".*/\1/p' "$(json_field Info <<<"$info")")
      ver="v3.0.0-$(date -u -d "$time" +%Y%m%d%H%M%S)-${hash:0:12}"
      if mod_download "$LANG_MOD@$ver" >/dev/null; then echo "$LANG_MOD $ver $LANG_MOD"; return; fi
      log "language-nodejs: the module proxy refuses $LANG_MOD@$ver"
    else
      log "language-nodejs: the module proxy gives no commit (Origin.Hash) for github.com/pulumi/pulumi/pkg/v3@$pv, so the pseudo-version of $LANG_MOD at that tag cannot be derived (set V6K8S_GOVERSION_LANGUAGE_NODEJS to use one)"
    fi
  fi
  versions=$(cd "$SCRATCH" && go list -m -versions github.com/pulumi/pulumi/sdk/v3 2>/dev/null | cut -d' ' -f2-) || true
  for v in $(tr ' ' '\n' <<<"$versions" | awk -F. '$1=="v3" && $2+0 < 69' | sort -t. -k2,2nr -k3,3nr | head -n 3); do
    if mod_download "github.com/pulumi/pulumi/sdk/v3@$v" >/dev/null 2>&1; then
      log "language-nodejs: FALLBACK to the language host inside github.com/pulumi/pulumi/sdk/v3@$v (the newest release before the host became its own module that the proxy serves)"
      echo "github.com/pulumi/pulumi/sdk/v3 $v github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs"; return
    fi
  done
  echo "no buildable version of the Node.js language host: neither $LANG_MOD at the $pv tag nor an sdk/v3 release < v3.69.0 is served by the module proxy" >&2
  return 1
}

resolve_provider_version() { # piece; uses P_*
  local env=$P_ENV key="$1@$P_NPM" line
  if [[ -n ${!env:-} ]]; then echo "${!env}"; return; fi
  line=$(grep -m1 "^$key=" <<<"$KNOWN_COMMITS" || true)
  if [[ -z $line ]]; then
    local served
    served=$(cd "$SCRATCH" && { go list -m -versions "$P_MOD" 2>/dev/null | cut -s -d' ' -f2-; go list -m "$P_MOD@latest" 2>/dev/null | cut -s -d' ' -f2; } | tr '\n' ' ') || true
    echo "no known commit for $1 v$P_NPM: $P_MOD has no tags of its own, so it must be built at the pseudo-version of the commit that the repository tag v$P_NPM points at; set $env=<pseudo-version> (versions of $P_MOD the module proxy serves: ${served:-none})" >&2
    return 1
  fi
  echo "${line#*=}"
}

# ---- build one piece in a throw-away wrapper module ----
# replaces GOMOD: one line per replace directive of GOMOD, "OLDPATH OLDVERSION NEWPATH NEWVERSION",
# "-" for a missing version (a local directory replacement has no NEWVERSION).
replaces() {
  go mod edit -json "$1" | tr -d ' \t\n' | grep -o '"Replace":\[.*\]' | grep -o '{"Old":{[^}]*},"New":{[^}]*}}' |
    while read -r r; do
      printf '%s %s %s %s\n' \
        "$(sed -n 's/.*"Old":{"Path":"\([^"]*\)".*/\1/p' <<<"$r")" \
        "$(sed -n 's/.*"Old":{[^}]*"Version":"\([^"]*\)".*/\1/p' <<<"$r" | grep . || echo -)" \
        "$(sed -n 's/.*"New":{"Path":"\([^"]*\)".*/\1/p' <<<"$r")" \
        "$(sed -n 's/.*"New":{[^}]*"Version":"\([^"]*\)".*/\1/p' <<<"$r" | grep . || echo -)"
    done
}

# build_piece NAME GOVERSION VERSION_STAMP_LDFLAGS...
build_in_wrapper() {
  local name=$1 mod=$2 ver=$3 main=$4 out=$5 ldflags=$6
  shift 6 # extra "module version" pairs to require
  local w="$SCRATCH/wrap-$name" info gomod
  rm -rf "$w"; mkdir -p "$w"
  info=$(mod_download "$mod@$ver") || { echo "the module proxy refuses $mod@$ver" >&2; return 1; }
  gomod=$(json_field GoMod <<<"$info")
  (
    cd "$w"
    go mod init "v6k8s.local/toolchain/$name" >/dev/null 2>&1
    go mod edit -require="$mod@$ver"
    while [[ $# -gt 0 ]]; do go mod edit -require="$1@$2"; shift 2; done
    # Copy the upstream replace directives that point at other modules (not at ../ paths).
    replaces "$gomod" | while read -r op ov np nv; do
        [[ $ov == - ]] && ov=""; [[ $nv == - ]] && nv=""
        if [[ -z $nv ]]; then echo "  (skipping local replace $op => $np)" >&2; continue; fi
        go mod edit -replace="$op${ov:+@$ov}=$np@$nv"
      done
    go build -p "$JOBS" -trimpath -ldflags "-s -w $ldflags" -o "$out.tmp" "$main"
  ) || return 1
  mv -f "$out.tmp" "$out"
}

# A provider: a wrapper module that requires the provider module. Local replaces of the provider's own
# SDK module (e.g. sdk/v4 => ../sdk) become a require of that SDK at the npm version (its tag). If the
# provider's main package embeds files the module zip lacks (generated schema), the main package's
# files are copied into the wrapper and the missing files are generated: with the provider's own
# generate.go (//go:build ignore) if it has one, else NAME-embed.json from NAME.json (minified).
build_provider() { # piece module version main out npmversion
  local name=$1 mod=$2 ver=$3 main=$4 out=$5 npmv=$6
  local w="$SCRATCH/wrap-$name" info gomod dir sub maindir missing f sdkenv sdkv
  rm -rf "$w"; mkdir -p "$w"
  info=$(mod_download "$mod@$ver") || { echo "the module proxy refuses $mod@$ver" >&2; return 1; }
  gomod=$(json_field GoMod <<<"$info"); dir=$(json_field Dir <<<"$info")
  sub=${main#"$mod"}; maindir="$dir$sub"
  [[ -d $maindir ]] || { echo "$mod@$ver has no main package ${sub#/}" >&2; return 1; }
  sdkenv="V6K8S_SDK_VERSION_${name^^}"; sdkv=${!sdkenv:-v$npmv}
  (
    set -e
    cd "$w"
    go mod init "v6k8s.local/toolchain/$name" >/dev/null 2>&1
    go mod edit -require="$mod@$ver"
    replaces "$gomod" | while read -r op ov np nv; do
        [[ $ov == - ]] && ov=""; [[ $nv == - ]] && nv=""
        if [[ -n $nv ]]; then go mod edit -replace="$op${ov:+@$ov}=$np@$nv"; continue; fi
        if [[ $op =~ /sdk(/v[0-9]+)?$ ]]; then
          echo "  local replace $op => $np: requiring $op@$sdkv instead" >&2
          mod_download "$op@$sdkv" >/dev/null || { echo "the module proxy refuses $op@$sdkv (the SDK module that $mod replaces with $np)" >&2; exit 1; }
          go mod edit -require="$op@$sdkv"
        else
          echo "$mod replaces $op with the local directory $np, which is not part of any module the proxy serves" >&2; exit 1
        fi
      done
    missing=()
    for f in $(sed -n 's|^//go:embed[[:space:]]\{1,\}\(.*\)$|\1|p' "$maindir"/*.go); do
      [[ -e $maindir/$f ]] || missing+=("$f")
    done
    target=$main
    if [[ ${#missing[@]} -gt 0 ]]; then
      echo "  main package embeds files not in the module: ${missing[*]}; building a wrapper main" >&2
      find "$maindir" -maxdepth 1 -type f ! -name '*_test.go' -exec cp {} . \;
      chmod -R u+w .
      if [[ -f generate.go ]] && grep -q '^//go:build ignore' generate.go; then
        echo "  generating them with the provider's own generate.go (VERSION=$npmv)" >&2
        VERSION=$npmv go run generate.go
        rm -f generate.go
      fi
      for f in "${missing[@]}"; do
        [[ -e $f ]] && continue
        if [[ $f == *-embed.json && -f ${f%-embed.json}.json ]]; then
          echo "  $f <- ${f%-embed.json}.json (minified)" >&2
          node -e 'const fs=require("fs");fs.writeFileSync(process.argv[2],JSON.stringify(JSON.parse(fs.readFileSync(process.argv[1],"utf8"))))' "${f%-embed.json}.json" "$f"
        else
          echo "$main embeds $f, which is neither in $mod@$ver nor generable from it" >&2; exit 1
        fi
      done
      target=.
    fi
    go build -p "$JOBS" -trimpath -ldflags "-s -w -X $mod/pkg/version.Version=$npmv" -o "$out.tmp" "$target"
  ) || return 1
  mv -f "$out.tmp" "$out"
}

SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/v6k8s-toolchain.XXXXXX")
trap 'rm -rf "$SCRATCH"' EXIT
(cd "$SCRATCH" && go mod init v6k8s.local/scratch >/dev/null 2>&1)
mkdir -p "$BIN"

PIECES=${ONLY//,/ }; PIECES=${PIECES:-$ALL_PIECES}
FAILED=() BUILT=() T_ALL=$(date +%s)
PULUMI_GOVERSION=""

for piece in $PIECES; do
  piece_info "$piece"
  stamp="$BIN/.$P_BIN.stamp"
  if [[ -x $BIN/$P_BIN && -f $stamp && $(head -n1 "$stamp") == "npm $P_NPM" ]]; then
    # warm: built before for this npm version
    [[ $MODE == list ]] && echo "$P_BIN  npm=$P_NPM  built from $(sed -n 's/^module //p' "$stamp")  (in $BIN)"
    continue
  fi
  [[ $MODE == list ]] || log "building $P_BIN (npm version $P_NPM) ..."
  t0=$(date +%s) err=""
  errf="$SCRATCH/err-$piece"; : >"$errf"
  ok=1
  case $piece in
    pulumi)
      ver=$(resolve_pulumi_version 2>"$errf") || ok=0
      cat "$errf" >&2
      if [[ $ok == 1 && $MODE != list ]]; then
        build_in_wrapper pulumi "$P_MOD" "$ver" "$P_MAIN" "$BIN/$P_BIN" \
          "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$ver" \
          github.com/pulumi/pulumi/sdk/v3 "$ver" 2> >(tee -a "$errf" >&2) || ok=0
      fi ;;
    language-nodejs)
      pv=${PULUMI_GOVERSION:-}
      [[ -n $pv ]] || pv=$(resolve_pulumi_version 2>/dev/null) || pv="v$PULUMI_NPM"
      res=$(resolve_language "$pv" 2>"$errf") || ok=0
      cat "$errf" >&2
      if [[ $ok == 1 ]]; then
        read -r P_MOD ver P_MAIN <<<"$res"
        if [[ $P_MOD == "$LANG_MOD" ]]; then # the host at the CLI's commit: pin pkg and sdk to the tag
          extra=(github.com/pulumi/pulumi/pkg/v3 "$pv" github.com/pulumi/pulumi/sdk/v3 "$pv") stampv=$pv
        else
          extra=() stampv=$ver
        fi
      fi
      if [[ $ok == 1 && $MODE != list ]]; then
        build_in_wrapper language-nodejs "$P_MOD" "$ver" "$P_MAIN" "$BIN/$P_BIN" \
          "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$stampv" \
          "${extra[@]}" 2> >(tee -a "$errf" >&2) || ok=0
      fi ;;
    *)
      ver=$(resolve_provider_version "$piece" 2>"$errf") || ok=0
      if [[ $ok == 1 && $MODE != list ]]; then
        build_provider "$piece" "$P_MOD" "$ver" "$P_MAIN" "$BIN/$P_BIN" "$P_NPM" 2> >(tee -a "$errf" >&2) || ok=0
      fi ;;
  esac
  [[ $piece == pulumi && $ok == 1 ]] && PULUMI_GOVERSION=$ver
  if [[ $MODE == list ]]; then
    echo "$P_BIN  npm=$P_NPM  module=$P_MOD@${ver:-?}  main=$P_MAIN"; continue
  fi
  dt=$(( $(date +%s) - t0 ))
  if [[ $ok == 1 ]]; then
    printf 'npm %s\nmodule %s@%s\n' "$P_NPM" "$P_MOD" "$ver" >"$stamp"
    log "built $P_BIN from $P_MOD@$ver in ${dt}s"
    BUILT+=("$P_BIN")
  else
    why=$(grep -v -e '^go: downloading' -e '^  ' "$errf" | tail -n 3 | tr '\n' ' ')
    FAILED+=("$P_BIN: $why")
    log "FAILED $P_BIN after ${dt}s: $why"
  fi
done

[[ $MODE == list ]] && exit 0
log "done in $(( $(date +%s) - T_ALL ))s; built: ${BUILT[*]:-nothing (all up to date)}"
echo "export PATH=\"$BIN:\$PATH\""
if [[ ${#FAILED[@]} -gt 0 ]]; then
  log "these pieces could not be built:"
  for f in "${FAILED[@]}"; do log "  - $f"; done
  exit 1
fi
