// Before anything is created: root, the tools, and the addresses of the stack.
import * as fs from "fs";
import { CNI_BIN_DIR } from "../components/controlplane/render/containerd";
import { NODE_PACKAGES } from "../components/hosts/render/scripts";
import { ourNetns } from "./netns";
import { procStat } from "./processes";
import { runSync } from "./run";
import { STATE_DIR } from "./config";

const NEEDS_ROOT =
    "lab: needs root (network namespaces, bind mounts, iptables inside namespaces). Run it as root, e.g. `sudo npm run test:lab`.";

/** Exits the process with a clear message when not root (before any work). */
export function requireRoot(): void {
    if (process.getuid?.() !== 0) {
        process.stderr.write(`${NEEDS_ROOT}\n`);
        process.exit(1);
    }
}

/**
 * Every program the labs run, and where it comes from: the Debian package lab/install-deps.sh
 * installs, or "toolchain" (built from Go modules by tools/k8s-toolchain.sh into the cache, or the
 * npm package node@22). test/lab/programs.test.ts reads the labs' sources and fails on a program
 * this table does not name, and on a package install-deps.sh does not install.
 */
export const LAB_PROGRAMS: Readonly<Record<string, string>> = {
    ip: "iproute2",
    ping: "iputils-ping",
    wg: "wireguard-tools",
    "wg-quick": "wireguard-tools",
    "wireguard-go": "wireguard-go",
    tayga: "tayga",
    nft: "nftables",
    iptables: "iptables",
    ip6tables: "iptables",
    "/usr/sbin/xtables-nft-multi": "iptables",
    iperf3: "iperf3",
    dig: "dnsutils",
    nslookup: "dnsutils",
    setsid: "util-linux",
    mount: "mount",
    nsenter: "util-linux",
    unshare: "util-linux",
    pgrep: "procps",
    etcd: "etcd-server",
    etcdctl: "etcd-client",
    "docker-registry": "docker-registry",
    umoci: "umoci",
    skopeo: "skopeo",
    "/bin/busybox": "busybox-static",
    "/usr/sbin/haproxy": "haproxy",
    haproxy: "haproxy",
    "/usr/sbin/conntrack": "conntrack",
    curl: "curl",
    gcc: "gcc",
    "/usr/sbin/sshd": "openssh-server",
    ssh: "openssh-client",
    "ssh-keygen": "openssh-client",
    "ssh-keyscan": "openssh-client",
    "/usr/sbin/unbound": "unbound",
    "/usr/sbin/radvd": "radvd",
    openssl: "openssl",
    ldd: "libc-bin",
    "dpkg-query": "dpkg",
    // The conformance images: Debian's dynamic busybox is taken from its package
    // (lab/cluster/conformance/images.ts), these tools are copied into them.
    "apt-get": "apt",
    "dpkg-deb": "dpkg",
    "/usr/bin/nc.openbsd": "netcat-openbsd",
    "/usr/bin/getent": "libc-bin",
    "/usr/bin/ss": "iproute2",
    "/usr/bin/bash": "bash",
    ...Object.fromEntries(
        ["bridge", "host-local", "firewall", "loopback", "portmap"].map((p) => [`${CNI_BIN_DIR}/${p}`, "containernetworking-plugins"]),
    ),
    // Essential on every Debian (coreutils, bash, tar), never missing.
    bash: "bash",
    sh: "dash",
    timeout: "coreutils",
    cat: "coreutils",
    tar: "tar",
    // Not Debian's: built or installed by the project.
    go: "toolchain",
    kubectl: "toolchain",
    coredns: "toolchain",
    pulumi: "toolchain",
    node: "toolchain",
};

/** Packages every Debian has (Priority: required); install-deps.sh need not name them. */
export const ESSENTIAL_PACKAGES = ["bash", "dash", "coreutils", "tar", "mount", "util-linux", "libc-bin", "dpkg", "apt"];

function present(program: string): boolean {
    if (program.startsWith("/")) return fs.existsSync(program);
    return runSync(["bash", "-c", `command -v '${program}'`], { allowFail: true }).code === 0;
}

/**
 * Before anything is created: every program the labs run from Debian, and the packages the
 * rendered install script would fetch with apt (the lab refuses apt on its hosts). Throws naming
 * each missing program with its package.
 */
export function checkTools(): void {
    const absent = Object.entries(LAB_PROGRAMS).filter(([program, pkg]) => pkg !== "toolchain" && !present(program));
    const packages = NODE_PACKAGES.filter(
        (p) => !runSync(["dpkg-query", "-W", "-f=${Status}", p], { allowFail: true }).stdout.includes("install ok installed"),
    );
    if (absent.length + packages.length > 0) {
        throw new Error(
            `lab: missing ${[...absent.map(([p, pkg]) => `${p} (package ${pkg})`), ...packages.map((p) => `package ${p}`)].join(", ")}: ` +
                "run `sudo bash lab/install-deps.sh` first",
        );
    }
}

export class AlreadyUpError extends Error {
    constructor() {
        super("lab: a lab is already up (or a crashed one left state): run `npm run lab:down` first");
        this.name = "AlreadyUpError";
    }
}

/** Who is using the lab: a run that is still going (its PID and start time). */
export const OWNER_FILE = `${STATE_DIR}.owner`;

/** Records this process as the lab's user (a test or bench run, until it exits). */
export function claimLab(): void {
    fs.writeFileSync(OWNER_FILE, JSON.stringify({ pid: process.pid, starttime: procStat(process.pid)?.starttime }));
}

/**
 * Only one lab runs on a machine (its names are fixed). A run that finds a lab up tears it down
 * only when nobody uses it any more (left by a crashed or finished run, or by `npm run lab`);
 * while the run that brought it up is still going, it refuses.
 */
export function tearDownLeftovers(down: () => unknown, log: (l: string) => void): void {
    if (!isUp()) return;
    try {
        const owner = JSON.parse(fs.readFileSync(OWNER_FILE, "utf8")) as { pid: number; starttime?: number };
        if (owner.pid !== process.pid && owner.starttime !== undefined && procStat(owner.pid)?.starttime === owner.starttime) {
            throw new Error(
                `lab: another run (pid ${owner.pid}) is using the lab; wait for it, or stop it first (npm run lab:down tears down regardless)`,
            );
        }
    } catch (e) {
        if ((e as Error).message.startsWith("lab: another run")) throw e;
        // No owner file (an older or crashed lab): a leftover.
    }
    log("lab: tearing down what an earlier run left");
    down();
}

export function isUp(): boolean {
    return fs.existsSync(STATE_DIR) || ourNetns().length > 0;
}
