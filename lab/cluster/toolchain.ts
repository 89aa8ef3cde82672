// What the cluster lab runs, at the versions the stack and the project's version tables name:
// built once from Go modules by tools/k8s-toolchain.sh into the cache, then packaged as the
// images (images.ts) and the release files (releases.ts) production would download.
import * as fs from "fs";
import * as path from "path";
import type { StackConfig } from "../../components/config/types";
import { COREDNS_VERSIONS, addonImages } from "../../components/addons/render/defaults";
import { defaultImages } from "../../components/controlplane/render/defaults";
import { REPO_DIR } from "../config";
import { runWithProgress } from "../progress";
import { run } from "../run";
import type { ImageSpec } from "./images";
import { COMPONENT_VERSIONS, kubernetesMinor } from "../../components/common/releases";

export interface Versions {
    readonly kubernetes: string;
    readonly etcd: string;
    readonly containerd: string;
    readonly runc: string;
    readonly pause: string;
    readonly coredns: string;
}

/** The versions of everything the stack's cluster runs (no v prefixes). */
export function versionsOf(config: StackConfig): Versions {
    const minor = kubernetesMinor(config.cluster.kubernetesVersion);
    const c = COMPONENT_VERSIONS[minor];
    return {
        kubernetes: config.cluster.kubernetesVersion,
        // "3.6.8-0" is the image tag; the release is 3.6.8.
        etcd: config.cluster.etcdVersion ?? c.etcd.replace(/-\d+$/, ""),
        containerd: config.cluster.containerdVersion,
        runc: config.cluster.runcVersion,
        pause: c.pause,
        coredns: COREDNS_VERSIONS[minor].replace(/^v/, ""),
    };
}

export const TOOLCHAIN = path.join(REPO_DIR, "tools", "k8s-toolchain.sh");

function toolchainArgs(v: Versions): string[] {
    return [
        "--kubernetes",
        v.kubernetes,
        "--etcd",
        v.etcd,
        "--containerd",
        v.containerd,
        "--runc",
        v.runc,
        "--pause",
        v.pause,
        "--coredns",
        v.coredns,
    ];
}

export type Piece = keyof Versions;
export type ToolchainDirs = Readonly<Record<Piece, string>>;

/** Each piece's version, whether it is cached, and its directory (the script's --status). */
export async function toolchainStatus(v: Versions): Promise<{ piece: Piece; version: string; cached: boolean; dir: string }[]> {
    const r = await run(["bash", TOOLCHAIN, ...toolchainArgs(v), "--status"]);
    return r.stdout
        .trim()
        .split("\n")
        .map((l) => {
            const [piece, version, state, dir] = l.split(" ");
            return { piece: piece as Piece, version, cached: state === "cached", dir };
        });
}

/**
 * Builds what is missing and returns each piece's dir. Says first what is cached and what will be
 * built (and what that costs), then shows the build as it goes (lab/progress.ts).
 */
export async function ensureToolchain(v: Versions, log: (l: string) => void): Promise<ToolchainDirs> {
    const status = await toolchainStatus(v);
    const what = `Kubernetes ${v.kubernetes}, etcd ${v.etcd}, containerd ${v.containerd}, runc ${v.runc}, pause ${v.pause}, CoreDNS ${v.coredns}`;
    const missing = status.filter((s) => !s.cached);
    const cacheRoot = path.dirname(status[0].dir);
    if (missing.length === 0) {
        log(`lab: toolchain (${what}): all ${status.length} pieces cached in ${cacheRoot}`);
        return dirsOf(status);
    }
    log(
        `lab: toolchain (${what}): building ${missing.length} of ${status.length} pieces from Go modules (${missing.map((m) => m.piece).join(", ")}). ` +
            `Cold, all of them take about 15 to 40 minutes on 2 cores; each is then cached in ${cacheRoot}/<piece>-<version>, and a warm run builds nothing.`,
    );
    await buildPieces(toolchainArgs(v), log, 80 * 60_000);
    return dirsOf(status);
}

/** Runs the toolchain script with `args`, showing its progress; throws with its last lines when it fails. */
async function buildPieces(args: readonly string[], log: (l: string) => void, timeoutMs: number): Promise<void> {
    const r = await runWithProgress(["bash", TOOLCHAIN, ...args], {
        prefix: "k8s-toolchain: ",
        current: (line) => /\] building (\S+ \S+)/.exec(line)?.[1],
        log,
        timeoutMs,
    });
    if (r.code !== 0) throw new Error(`lab: ${TOOLCHAIN} failed (exit ${r.code}):\n${r.stderr.trim().split("\n").slice(-15).join("\n")}`);
}

const dirsOf = (status: readonly { piece: Piece; dir: string }[]): ToolchainDirs =>
    Object.fromEntries(status.map((s) => [s.piece, s.dir])) as Record<Piece, string>;

const bin = (dir: string, name: string, dst = `/usr/local/bin/${name}`) => ({ src: path.join(dir, name), dst });

/** The iptables tools kube-proxy runs (Debian's nft-based xtables, as the hosts use), with its extensions. */
function iptablesFiles(): { files: { src: string; dst: string }[]; symlinks: [string, string][] } {
    const multi = "/usr/sbin/xtables-nft-multi";
    const names = ["iptables", "iptables-save", "iptables-restore", "ip6tables", "ip6tables-save", "ip6tables-restore"];
    const ext = "/usr/lib/x86_64-linux-gnu/xtables";
    return {
        files: [
            { src: multi, dst: multi },
            { src: "/usr/sbin/conntrack", dst: "/usr/sbin/conntrack" },
            ...fs
                .readdirSync(ext)
                .filter((f) => f.endsWith(".so"))
                .map((f) => ({ src: path.join(ext, f), dst: path.join(ext, f) })),
        ],
        symlinks: names.map((n): [string, string] => [`/usr/sbin/${n}`, "xtables-nft-multi"]),
    };
}

/** Busybox applets of the toolbox image (`lab.local/toolbox:1`). */
const TOOLBOX_APPLETS = [
    "sh",
    "ls",
    "cat",
    "echo",
    "sleep",
    "nslookup",
    "wget",
    "ping",
    "nc",
    "httpd",
    "hostname",
    "ip",
    "mkdir",
    "grep",
    "env",
    "true",
];
export const TOOLBOX_IMAGE = "lab.local/toolbox:1";
/** What the toolbox's `httpd -h /www` serves (the example public service). */
const TOOLBOX_PAGE = path.join(__dirname, "toolbox", "index.html");

/** Every image the lab cluster pulls, under production's names. */
export function imageSpecs(config: StackConfig, dirs: ToolchainDirs): ImageSpec[] {
    const cp = defaultImages(config.cluster.kubernetesVersion, config.cluster.etcdVersion);
    const addons = addonImages(config.cluster.kubernetesVersion);
    const k = dirs.kubernetes;
    const ipt = iptablesFiles();
    return [
        { ref: cp.pause, files: [{ src: path.join(dirs.pause, "pause"), dst: "/pause" }], entrypoint: ["/pause"], user: "65535:65535" },
        { ref: cp.etcd, files: [bin(dirs.etcd, "etcd"), bin(dirs.etcd, "etcdctl")], dirs: ["/var/lib/etcd"] },
        { ref: cp.apiserver, files: [bin(k, "kube-apiserver")] },
        { ref: cp.controllerManager, files: [bin(k, "kube-controller-manager")] },
        { ref: cp.scheduler, files: [bin(k, "kube-scheduler")] },
        {
            ref: addons.kubeProxy,
            files: [bin(k, "kube-proxy"), ...ipt.files],
            symlinks: ipt.symlinks,
            // The extensions are shared objects too (libxt_statistic needs libm, say).
            linked: ipt.files.map((f) => f.dst),
        },
        // Debian's HAProxy 2.6 under the name of the image the manifest pins (3.2 on Alpine): the
        // rendered configuration uses nothing 2.6 lacks (checked by `haproxy -c` in the unit tests).
        {
            ref: cp.apiserverProxy,
            files: [{ src: "/usr/sbin/haproxy", dst: "/usr/sbin/haproxy" }],
            linked: ["/usr/sbin/haproxy"],
            dirs: ["/usr/local/etc/haproxy", "/run/haproxy"],
        },
        { ref: addons.coredns, files: [{ src: path.join(dirs.coredns, "coredns"), dst: "/coredns" }], entrypoint: ["/coredns"] },
        {
            ref: TOOLBOX_IMAGE,
            files: [
                { src: "/bin/busybox", dst: "/bin/busybox" },
                { src: TOOLBOX_PAGE, dst: "/www/index.html" },
            ],
            symlinks: TOOLBOX_APPLETS.map((a): [string, string] => [`/bin/${a}`, "busybox"]),
            cmd: ["sh"],
        },
    ];
}

/**
 * The conformance piece (e2e.test, ginkgo, the test images' programs) at the cluster's Kubernetes
 * version: built from the k8s.io/kubernetes module unless cached; returns its directory.
 */
export async function ensureConformanceSuite(kubernetes: string, log: (l: string) => void): Promise<string> {
    const args = ["--conformance", kubernetes, "--only", "conformance"];
    const dir = (await run(["bash", TOOLCHAIN, ...args, "--print-dir", "conformance"])).stdout.trim();
    if (fs.existsSync(path.join(dir, ".done"))) return dir;
    log(
        `lab: building the conformance suite of Kubernetes ${kubernetes} (e2e.test, ginkgo, agnhost) from Go modules: a few minutes after the cluster's build, about 20 cold`,
    );
    await buildPieces(args, log, 60 * 60_000);
    return dir;
}
