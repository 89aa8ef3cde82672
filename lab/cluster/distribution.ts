// Where the lab's hosts get their software, on the lab's IPv6 internet, as production gets it from
// a private mirror: a release site laid out like dl.k8s.io and GitHub releases (with the published
// checksum files) that install-binaries.sh downloads from, and a real registry (Debian's
// docker-registry, distribution v2) that containerd pulls through as the stack's registry mirror.
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { hostPort, httpUrl } from "../../components/common/net";
import { INET6_LENGTH, INET6_NS, LAB_DIR, STATE_DIR, UPLINK, clusterCache } from "../config";
import { inNs } from "../netns";
import { startDaemon } from "../processes";
import { run, runSync } from "../run";
import { nodeArgv, waitForLog } from "../servers";
import { buildImage, ImageSpec } from "./images";
import type { ToolchainDirs, Versions } from "./toolchain";
import { RELEASE_LAYOUT } from "../../components/runtime/render/installBinaries";

/** The mirror (registry) and the release site, on the lab's IPv6 internet. */
export const MIRROR_ADDRESS = "2001:db8:ffff::5";
const MIRROR_PORT = 5000;
export const RELEASES_ADDRESS = "2001:db8:ffff::6";
const RELEASES_PORT = 80;

const sha256File = (file: string) => createHash("sha256").update(fs.readFileSync(file)).digest("hex");

/** The containerd release tarball (bin/containerd, bin/containerd-shim-runc-v2, bin/ctr), made once. */
function containerdTarball(dir: string, version: string): string {
    const tarball = path.join(dir, RELEASE_LAYOUT.containerdTarball(version, "amd64"));
    if (!fs.existsSync(tarball)) {
        runSync(["tar", "-C", dir, "--owner=0", "--group=0", "-czf", `${tarball}.tmp`, "bin"], { timeoutMs: 300_000 });
        fs.renameSync(`${tarball}.tmp`, tarball);
    }
    return tarball;
}

/** etcd's release tarball (etcd-v<v>-linux-amd64/{etcd,etcdctl,etcdutl}), made once. */
function etcdTarball(dir: string, version: string): string {
    const tarball = path.join(dir, RELEASE_LAYOUT.etcdTarball(version, "amd64"));
    if (!fs.existsSync(tarball)) {
        const top = path.basename(tarball, ".tar.gz");
        const names = ["etcd", "etcdctl", "etcdutl"];
        runSync(["tar", "-C", dir, "--owner=0", "--group=0", "--transform", `s,^,${top}/,`, "-czf", `${tarball}.tmp`, ...names], {
            timeoutMs: 300_000,
        });
        fs.renameSync(`${tarball}.tmp`, tarball);
    }
    return tarball;
}

/**
 * The release tree, in the upstream layouts that install-binaries.sh expects under each base:
 *   kubernetes/v<k>/bin/linux/amd64/{kubelet,kubectl}{,.sha256}
 *   containerd/v<c>/containerd-<c>-linux-amd64.tar.gz{,.sha256sum}
 *   runc/v<r>/runc.amd64, runc/v<r>/runc.sha256sum
 *   etcd/v<e>/etcd-v<e>-linux-amd64.tar.gz, etcd/v<e>/SHA256SUMS
 * Files are symlinks into the toolchain cache; checksums are computed here.
 */
function releaseTree(root: string, v: Versions, dirs: ToolchainDirs): void {
    const put = (rel: string, src: string) => {
        const dst = path.join(root, rel);
        fs.mkdirSync(path.dirname(dst), { recursive: true });
        // Two version sets share containerd's and runc's files.
        fs.rmSync(dst, { force: true });
        fs.symlinkSync(src, dst);
    };
    const write = (rel: string, content: string) => fs.writeFileSync(path.join(root, rel), content);
    // Production's layout (RELEASE_LAYOUT) under one directory per base (labSources).
    const L = RELEASE_LAYOUT;
    for (const b of ["kubelet", "kubectl"]) {
        const k = `kubernetes/${L.kubernetes(v.kubernetes, "amd64", b)}`;
        put(k, path.join(dirs.kubernetes, b));
        write(`${k}.sha256`, sha256File(path.join(dirs.kubernetes, b)));
    }
    const tgz = containerdTarball(dirs.containerd, v.containerd);
    const c = `containerd/${L.containerd(v.containerd, path.basename(tgz))}`;
    put(c, tgz);
    write(`${c}.sha256sum`, `${sha256File(tgz)}  ${path.basename(tgz)}\n`);
    put(`runc/${L.runc(v.runc, "amd64")}`, path.join(dirs.runc, "runc"));
    write(`runc/${L.runcSums(v.runc)}`, `${sha256File(path.join(dirs.runc, "runc"))}  runc.amd64\n`);
    const etcd = etcdTarball(dirs.etcd, v.etcd);
    put(`etcd/${L.etcd(v.etcd, path.basename(etcd))}`, etcd);
    write(`etcd/${L.etcdSums(v.etcd)}`, `${sha256File(etcd)}  ${path.basename(etcd)}\n`);
}

/** The stack's `releaseBases` and `registryMirrors` for the lab's sites. */
export function labSources(registries: readonly string[]) {
    const base = httpUrl(RELEASES_ADDRESS, RELEASES_PORT);
    return {
        releaseBases: { kubernetes: `${base}/kubernetes`, containerd: `${base}/containerd`, runc: `${base}/runc`, etcd: `${base}/etcd` },
        registryMirrors: Object.fromEntries(registries.map((r) => [r, `${httpUrl(MIRROR_ADDRESS, MIRROR_PORT)}/v2/${r}`])),
    };
}

async function addAddress(address: string): Promise<void> {
    const has = (await run(["ip", "-n", INET6_NS, "-6", "addr", "show", "dev", UPLINK])).stdout.includes(`${address}/`);
    if (!has) await run(["ip", "-n", INET6_NS, "-6", "addr", "add", `${address}/${INET6_LENGTH}`, "dev", UPLINK, "nodad"]);
}

/** Starts the release site on the lab's IPv6 internet, with the releases of each version set (the upgrade check serves two). */
export async function startReleaseSite(sets: readonly { versions: Versions; dirs: ToolchainDirs }[]): Promise<void> {
    const root = path.join(STATE_DIR, "releases");
    fs.rmSync(root, { recursive: true, force: true });
    for (const s of sets) releaseTree(root, s.versions, s.dirs);
    await addAddress(RELEASES_ADDRESS);
    const rec = startDaemon(
        "inet6-releases",
        inNs(INET6_NS, nodeArgv(path.join(LAB_DIR, "servers", "files.ts"), [root, hostPort(RELEASES_ADDRESS, RELEASES_PORT)])),
    );
    await waitForLog(rec, "ready", 30_000);
}

/** The registry's storage outlives the lab (pushing an unchanged image again moves no blob). */
function registryStorage(): string {
    return path.join(clusterCache(), "registry");
}

/** Starts the registry, then pushes every image to it under `<registry host>/<repository>:<tag>`. */
export async function startMirror(specs: readonly ImageSpec[], log: (l: string) => void): Promise<void> {
    await addAddress(MIRROR_ADDRESS);
    const config = path.join(STATE_DIR, "registry.yml");
    fs.mkdirSync(registryStorage(), { recursive: true });
    fs.writeFileSync(
        config,
        [
            "version: 0.1",
            "log: { level: info, formatter: text }",
            `storage: { filesystem: { rootdirectory: ${JSON.stringify(registryStorage())} }, delete: { enabled: false } }`,
            `http: { addr: ${JSON.stringify(`:${MIRROR_PORT}`)} }`,
            "",
        ].join("\n"),
    );
    const rec = startDaemon("inet6-registry", inNs(INET6_NS, ["docker-registry", "serve", config]));
    await waitForLog(rec, /listening on/, 30_000);
    await pushImages(specs, log);
}

/** Builds (or takes from the cache) each image and pushes it to the running mirror under `<registry host>/<repository>:<tag>`. */
export async function pushImages(specs: readonly ImageSpec[], log: (l: string) => void): Promise<void> {
    // Image references cannot hold an IPv6 literal: the registry listens on every address of the
    // internet's namespace, and skopeo (run there) pushes to it as localhost.
    const pushTo = `localhost:${MIRROR_PORT}`;
    const t0 = Date.now();
    for (const spec of specs) {
        const layout = buildImage(spec);
        await run(
            inNs(INET6_NS, [
                "skopeo",
                "copy",
                "--quiet",
                "--insecure-policy",
                "--dest-tls-verify=false",
                `oci:${layout}:lab`,
                `docker://${pushTo}/${spec.ref}`,
            ]),
            { timeoutMs: 600_000 },
        );
    }
    log(
        `lab: ${specs.length} images built (cached) and pushed to the mirror ${hostPort(MIRROR_ADDRESS, MIRROR_PORT)} in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
    );
}
