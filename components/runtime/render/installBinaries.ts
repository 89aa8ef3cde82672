// The script that installs containerd, runc, the kubelet (and kubectl and etcdutl on control-plane
// nodes) at the configured versions, each checked against the checksum its publisher puts beside it.
// Idempotent: a binary already at the wanted version is not downloaded again. With --keep-kubelet
// an installed kubelet is left alone (the version-skew order: controlplane/cluster.ts).

export interface BinaryVersions {
    /** "1.34.2" */
    readonly kubernetes: string;
    readonly containerd: string;
    readonly runc: string;
    /** "3.6.8": the etcd release whose etcdutl control-plane nodes get (the members' version). */
    readonly etcd?: string;
    /** Mirrors of the release sites (same layout); unset parts stay upstream (RELEASE_BASES). */
    readonly bases?: Partial<ReleaseBases>;
}

export const INSTALL_BINARIES_PATH = "/usr/local/lib/v6k8s/install-binaries.sh";
/** Names the containerd tarball whose every file is in place (written last). */
export const CONTAINERD_STAMP_PATH = "/usr/local/lib/v6k8s/containerd.installed";

/** Where releases come from; override for a mirror (IPv6-only hosts cannot reach GitHub without NAT64). */
export const RELEASE_BASES = {
    kubernetes: "https://dl.k8s.io/release",
    containerd: "https://github.com/containerd/containerd/releases/download",
    runc: "https://github.com/opencontainers/runc/releases/download",
    etcd: "https://github.com/etcd-io/etcd/releases/download",
} as const;

export type ReleaseBases = { readonly [K in keyof typeof RELEASE_BASES]: string };

/**
 * Where each file sits under its base, as the publishers lay them out (and a mirror must): the
 * script passes shell words (`$arch`, `$tarball`, `$bin`), a mirror builder real names.
 */
export const RELEASE_LAYOUT = {
    containerdTarball: (version: string, arch: string) => `containerd-${version}-linux-${arch}.tar.gz`,
    /** The tarball and, beside it, `<tarball>.sha256sum` ("<hash>  <tarball>"). */
    containerd: (version: string, tarball: string) => `v${version}/${tarball}`,
    /** The binary; `runc.sha256sum` beside it lists every architecture's ("<hash> *runc.<arch>"). */
    runc: (version: string, arch: string) => `v${version}/runc.${arch}`,
    runcSums: (version: string) => `v${version}/runc.sha256sum`,
    /** The binary and, beside it, `<bin>.sha256` (the bare hash). */
    kubernetes: (version: string, arch: string, bin: string) => `v${version}/bin/linux/${arch}/${bin}`,
    /** `etcd-v<v>-linux-<arch>/{etcd,etcdctl,etcdutl,...}` in one tarball. */
    etcdTarball: (version: string, arch: string) => `etcd-v${version}-linux-${arch}.tar.gz`,
    etcd: (version: string, tarball: string) => `v${version}/${tarball}`,
    /** Beside the tarballs: `SHA256SUMS` ("<hash>  <tarball>" a line, every platform's). */
    etcdSums: (version: string) => `v${version}/SHA256SUMS`,
} as const;

export function renderInstallBinaries(
    v: BinaryVersions,
    opts: { kubectl: boolean; etcdutl?: boolean; bases?: Partial<ReleaseBases> },
): string {
    if (opts.etcdutl && !v.etcd) throw new RangeError("install-binaries: etcdutl needs the etcd version");
    const k = `v${v.kubernetes}`;
    const bases = { ...RELEASE_BASES, ...v.bases, ...opts.bases };
    const L = RELEASE_LAYOUT;
    return `#!/bin/bash
# Rendered by v6k8s. Installs containerd ${v.containerd}, runc ${v.runc}, kubelet ${k}${opts.kubectl ? ", kubectl" : ""}${opts.etcdutl ? `, etcdutl ${v.etcd}` : ""}.
# Every download is verified against its published sha256; nothing is replaced when already current.
set -euo pipefail
case "$(uname -m)" in
    x86_64) arch=amd64 ;;
    aarch64) arch=arm64 ;;
    *) echo "unsupported architecture $(uname -m)" >&2; exit 1 ;;
esac
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# fetch URL FILE: download with retries; fails on HTTP errors.
fetch() { curl -fsSL --retry 5 --retry-delay 2 -o "$2" "$1"; }
# verify FILE HASH: the sha256 of FILE must be HASH.
verify() { echo "$2  $1" | sha256sum --check --status || { echo "checksum mismatch for $1" >&2; exit 1; }; }

# containerd is several binaries from one tarball: a run cut off while extracting could leave a
# current containerd beside a missing or truncated shim. The stamp is written only after every
# file of a verified tarball is in place (each by rename, never half-written under its name).
tarball=${L.containerdTarball(v.containerd, "$arch")}
stamp=${CONTAINERD_STAMP_PATH}
if [ "$(cat "$stamp" 2>/dev/null)" != "$tarball" ] || ! /usr/local/bin/containerd --version 2>/dev/null | grep -q " v${v.containerd} "; then
    fetch ${bases.containerd}/${L.containerd(v.containerd, "$tarball")} "$work/$tarball"
    fetch ${bases.containerd}/${L.containerd(v.containerd, "$tarball")}.sha256sum "$work/sum"
    verify "$work/$tarball" "$(cut -d' ' -f1 "$work/sum")"
    rm -f "$stamp"
    mkdir -p "$work/containerd" /usr/local/bin "$(dirname "$stamp")"
    tar -C "$work/containerd" -xzf "$work/$tarball"
    for f in "$work"/containerd/bin/*; do
        install -m 0755 "$f" "/usr/local/bin/$(basename "$f").new"
        mv -f "/usr/local/bin/$(basename "$f").new" "/usr/local/bin/$(basename "$f")"
    done
    echo "$tarball" > "$stamp.new" && mv -f "$stamp.new" "$stamp"
fi

if ! /usr/local/sbin/runc --version 2>/dev/null | grep -q "^runc version ${v.runc}$"; then
    fetch ${bases.runc}/${L.runc(v.runc, "$arch")} "$work/runc"
    fetch ${bases.runc}/${L.runcSums(v.runc)} "$work/sums"
    verify "$work/runc" "$(awk -v f="runc.$arch" '$2 == f || $2 == "*"f {print $1}' "$work/sums")"
    install -m 0755 "$work/runc" /usr/local/sbin/runc
fi

# install_k8s BIN VERSION-ARGS...: both print the release last on a line ("Kubernetes v1.34.2").
install_k8s() {
    local bin=$1; shift
    if ! /usr/local/bin/$bin "$@" 2>/dev/null | grep -q " ${k}$"; then
        fetch ${bases.kubernetes}/${L.kubernetes(v.kubernetes, "$arch", "$bin")} "$work/$bin"
        fetch ${bases.kubernetes}/${L.kubernetes(v.kubernetes, "$arch", "$bin")}.sha256 "$work/$bin.sha256"
        verify "$work/$bin" "$(cat "$work/$bin.sha256")"
        install -m 0755 "$work/$bin" /usr/local/bin/$bin.new
        mv -f /usr/local/bin/$bin.new /usr/local/bin/$bin
    fi
}
# --keep-kubelet: an installed kubelet stays as it is (a control-plane node's first step: its kubelet
# changes release in a later step, drained, once every apiserver serves the new one).
if [ "\${1:-}" = --keep-kubelet ] && [ -x /usr/local/bin/kubelet ]; then
    echo "kubelet: $(/usr/local/bin/kubelet --version) kept for now"
else
    install_k8s kubelet --version
fi
${opts.kubectl ? "install_k8s kubectl version --client\n" : ""}${opts.etcdutl ? renderEtcdutl(v.etcd!, bases.etcd) : ""}`;
}

/**
 * etcdutl, the offline etcd tool a restore runs (controlplane/render/etcdRestore.ts), at the
 * members' etcd version: from etcd's release tarball, checked against its SHA256SUMS. The etcd
 * image carries only etcd and etcdctl.
 */
function renderEtcdutl(version: string, base: string): string {
    const L = RELEASE_LAYOUT;
    return `etcd_tarball=${L.etcdTarball(version, "$arch")}
if ! /usr/local/bin/etcdutl version 2>/dev/null | grep -qx "etcdutl version: ${version}"; then
    fetch ${base}/${L.etcd(version, "$etcd_tarball")} "$work/$etcd_tarball"
    fetch ${base}/${L.etcdSums(version)} "$work/etcd-sums"
    verify "$work/$etcd_tarball" "$(awk -v f="$etcd_tarball" '$2 == f || $2 == "*"f {print $1}' "$work/etcd-sums")"
    mkdir -p "$work/etcd"
    tar -C "$work/etcd" --strip-components=1 -xzf "$work/$etcd_tarball" "etcd-v${version}-linux-$arch/etcdutl"
    install -m 0755 "$work/etcd/etcdutl" /usr/local/bin/etcdutl.new
    mv -f /usr/local/bin/etcdutl.new /usr/local/bin/etcdutl
fi
`;
}
