// The images the conformance suite pulls, made on this machine (no public registry is reachable
// here) under the exact references the suite asks for (`e2e.test --list-images`), and pushed to the
// lab's registry mirror next to the cluster's own. Each is the closest real equivalent that can be
// built here: the suite's own programs from the k8s.io/kubernetes module at the cluster's version
// (agnhost, sample-apiserver, nnp), Debian's busybox for the small base images, Debian's curl,
// dig, nc (OpenBSD's, as Alpine's netcat-openbsd in agnhost) and iproute2 where the upstream image
// installs them. `STAND_INS` says what each one stands in for; the README lists it.
import * as fs from "fs";
import * as path from "path";
import { clusterCache } from "../../config";
import { runSync } from "../../run";
import type { ImageFile, ImageSpec, ImageText } from "../images";
import type { ToolchainDirs } from "../toolchain";

/** The cluster's toolchain and the conformance piece (e2e.test, ginkgo, the images' programs). */
export type ConformanceDirs = ToolchainDirs & { readonly conformance: string };

/** What an image made here stands in for, by repository (README: "Conformance"). */
export const STAND_INS: Readonly<Record<string, string>> = {
    "registry.k8s.io/e2e-test-images/agnhost":
        "agnhost built from k8s.io/kubernetes/test/images/agnhost at the cluster's version, on Debian's busybox with its curl, dig, nslookup, nc (OpenBSD), ip, ss, bash and getent (upstream: Alpine with bind-tools, curl, netcat-openbsd, iproute2, bash, musl's getent)",
    "registry.k8s.io/e2e-test-images/busybox":
        "Debian's busybox 1.35, every applet in /bin as upstream's image has them, with Debian's bash as sh (it keeps environment entries whose names are not identifiers, as the suite expects of upstream's busybox 1.37; Debian's 1.35 drops them)",
    "registry.k8s.io/e2e-test-images/httpd":
        "busybox httpd serving /usr/local/apache2/htdocs on port 80 as httpd-foreground (upstream: Apache httpd 2.4)",
    "registry.k8s.io/e2e-test-images/nginx": "busybox httpd serving /usr/share/nginx/html on port 80 as nginx (upstream: nginx 1.27)",
    "registry.k8s.io/e2e-test-images/jessie-dnsutils":
        "Debian's busybox with its dig, nslookup, bash and getent (upstream: Debian jessie with dnsutils)",
    "registry.k8s.io/e2e-test-images/kitten": "the agnhost stand-in with the module's kitten page, running test-webserver",
    "registry.k8s.io/e2e-test-images/nautilus": "the agnhost stand-in with the module's nautilus page, running test-webserver",
    "registry.k8s.io/e2e-test-images/nonroot": "busybox as user 1234",
    "registry.k8s.io/e2e-test-images/nonewprivs": "nnp built from k8s.io/kubernetes/test/images/nonewprivs, setuid, on busybox",
    "registry.k8s.io/e2e-test-images/sample-apiserver": "k8s.io/sample-apiserver built at the cluster's version (upstream: 1.29)",
    "registry.k8s.io/etcd": "the cluster's etcd (built from go.etcd.io/etcd at the cluster's etcd version)",
};

const PASSWD = ["root:x:0:0:root:/root:/bin/sh", "nobody:x:65534:65534:nobody:/nonexistent:/bin/false"];
const GROUP = ["root:x:0:", "nobody:x:65534:"];

function etc(users: readonly string[] = [], groups: readonly string[] = []): ImageText[] {
    return [
        { dst: "/etc/passwd", text: [...PASSWD, ...users, ""].join("\n") },
        { dst: "/etc/group", text: [...GROUP, ...groups, ""].join("\n") },
        // glibc's getent (the tests' `getent hosts NAME`) resolves through NSS: files, then DNS.
        { dst: "/etc/nsswitch.conf", text: "passwd: files\ngroup: files\nhosts: files dns\n" },
    ];
}

/**
 * Debian's busybox (the dynamically linked build: its sh runs the tools on PATH; the static
 * busybox-static's sh prefers its own applets, so a test's `nc -u` would get busybox's nc), taken
 * from its package into the cache: it conflicts with busybox-static, which the lab's toolbox uses.
 */
function debianBusybox(): string {
    const dir = path.join(clusterCache(), "debs");
    const binary = path.join(dir, "busybox", "bin", "busybox");
    if (fs.existsSync(binary)) return binary;
    fs.mkdirSync(dir, { recursive: true });
    const download = (allowFail: boolean) => runSync(["apt-get", "download", "-q", "busybox"], { cwd: dir, allowFail, timeoutMs: 300_000 });
    // A machine whose package lists are gone (a fresh container) gets them first.
    if (download(true).code !== 0) {
        runSync(["apt-get", "update", "-q"], { timeoutMs: 300_000 });
        download(false);
    }
    const deb = fs.readdirSync(dir).find((f) => /^busybox_.*\.deb$/.test(f));
    if (!deb) throw new Error(`lab: apt-get download busybox left no package in ${dir}`);
    runSync(["dpkg-deb", "-x", path.join(dir, deb), path.join(dir, "busybox")]);
    return binary;
}

let applets: string[] | undefined;
/** The busybox's applets, as paths inside an image (`/bin/sh`, `/usr/bin/wget`, ...). */
function busyboxApplets(): string[] {
    applets ??= runSync([debianBusybox(), "--list-full"])
        .stdout.split("\n")
        .filter(Boolean)
        .map((p) => `/${p}`);
    return applets;
}

/**
 * A busybox base (what Alpine's is): the binary and every applet, except the applets whose name
 * a real tool of the image takes (Alpine's packages replace busybox's `nc`, `nslookup`, ... too).
 * `allInBin`: every applet in /bin, as the busybox image lays them out (a test runs /bin/sysctl).
 */
function busyboxBase(
    tools: readonly ImageFile[] = [],
    opts: { readonly allInBin?: boolean; readonly links?: readonly (readonly [string, string])[] } = {},
): Pick<ImageSpec, "files" | "symlinks" | "linked"> {
    const links = opts.links ?? [];
    const taken = new Set([...tools.map((t) => path.basename(t.dst)), ...links.map(([l]) => path.basename(l))]);
    return {
        files: [{ src: debianBusybox(), dst: "/bin/busybox" }, ...tools],
        linked: ["/bin/busybox", ...tools.map((t) => t.dst)],
        symlinks: [
            ...busyboxApplets()
                .filter((a) => !taken.has(path.basename(a)) && a !== "/bin/busybox")
                .map((a): [string, string] => [opts.allInBin ? `/bin/${path.basename(a)}` : a, "/bin/busybox"]),
            ...links,
        ],
    };
}

const system = (src: string, dst = src): ImageFile => ({ src, dst });

/** Debian's tools agnhost's image installs from Alpine (bind-tools, curl, netcat-openbsd, iproute2, bash). */
function agnhostTools(): ImageFile[] {
    return [
        system("/usr/bin/curl"),
        system("/usr/bin/dig"),
        system("/usr/bin/nslookup"),
        system("/usr/bin/nc.openbsd", "/usr/bin/nc"),
        system("/usr/bin/ip", "/sbin/ip"),
        system("/usr/bin/ss"),
        system("/usr/bin/bash", "/bin/bash"),
        // Alpine's musl-utils getent (the DNS tests query with `getent hosts`).
        system("/usr/bin/getent"),
    ];
}

function agnhost(ref: string, dirs: ConformanceDirs, extra: readonly ImageFile[] = [], cmd = ["pause"]): ImageSpec {
    const c = dirs.conformance;
    const tools = agnhostTools();
    const base = busyboxBase(tools);
    return {
        ref,
        files: [
            ...base.files,
            { src: path.join(c, "agnhost"), dst: "/agnhost" },
            { src: path.join(dirs.coredns, "coredns"), dst: "/coredns" },
            { src: path.join(c, "data", "localhost.crt"), dst: "/localhost.crt" },
            { src: path.join(c, "data", "localhost.key"), dst: "/localhost.key" },
            ...extra,
        ],
        linked: base.linked,
        // The entrypoint-tester tests run the same binary as /agnhost-2.
        symlinks: [...(base.symlinks ?? []), ["/agnhost-2", "agnhost"]],
        texts: etc(
            ["user-defined-in-image:x:1000:1000::/home/user-defined-in-image:/bin/sh"],
            ["user-defined-in-image:x:1000:", "group-defined-in-image:x:50000:user-defined-in-image"],
        ),
        dirs: ["/uploads", "/home/user-defined-in-image"],
        entrypoint: ["/agnhost"],
        cmd,
    };
}

/** A busybox httpd on port 80 started as `name`, serving `root` with one page. */
function webServer(ref: string, name: string, root: string, page: string, cmd: string[]): ImageSpec {
    return {
        ref,
        ...busyboxBase(),
        texts: [
            ...etc(),
            { dst: path.join(root, "index.html"), text: page },
            { dst: `/usr/local/bin/${name}`, text: `#!/bin/sh\nexec httpd -f -p 80 -h ${root}\n`, mode: 0o755 },
        ],
        cmd,
    };
}

type Builder = (ref: string, dirs: ConformanceDirs) => ImageSpec;

const BUILDERS: Readonly<Record<string, Builder>> = {
    "registry.k8s.io/e2e-test-images/agnhost": (ref, d) => agnhost(ref, d),
    // sh is bash: the Secrets and ConfigMaps "via the environment" tests read `data-1=value-1`
    // (an envFrom name that is no shell identifier) from `sh -c env`; they pass on upstream's
    // busybox 1.37, so its sh keeps such entries. Debian's busybox 1.35 ash and dash drop them
    // (tried here: `env data-1=x busybox sh -c env`), bash keeps them.
    "registry.k8s.io/e2e-test-images/busybox": (ref) => ({
        ref,
        ...busyboxBase([system("/usr/bin/bash", "/bin/bash")], { allInBin: true, links: [["/bin/sh", "bash"]] }),
        texts: etc(),
        cmd: ["sh"],
    }),
    "registry.k8s.io/e2e-test-images/httpd": (ref) =>
        webServer(ref, "httpd-foreground", "/usr/local/apache2/htdocs", "<html><body><h1>It works!</h1></body></html>\n", [
            "httpd-foreground",
        ]),
    "registry.k8s.io/e2e-test-images/nginx": (ref) =>
        webServer(ref, "nginx", "/usr/share/nginx/html", "<html><body><h1>Welcome to nginx!</h1></body></html>\n", [
            "nginx",
            "-g",
            "daemon off;",
        ]),
    "registry.k8s.io/e2e-test-images/jessie-dnsutils": (ref, d) => {
        const tools = [
            system("/usr/bin/dig"),
            system("/usr/bin/nslookup"),
            system("/usr/bin/bash", "/bin/bash"),
            system("/usr/bin/getent"),
        ];
        const base = busyboxBase([...tools, { src: path.join(d.coredns, "coredns"), dst: "/coredns" }]);
        return { ref, ...base, texts: etc(), cmd: ["/bin/bash"] };
    },
    "registry.k8s.io/e2e-test-images/kitten": (ref, d) => pageServer(ref, d, "kitten"),
    "registry.k8s.io/e2e-test-images/nautilus": (ref, d) => pageServer(ref, d, "nautilus"),
    "registry.k8s.io/e2e-test-images/nonroot": (ref) => ({ ref, ...busyboxBase(), texts: etc(), user: "1234", cmd: ["sh"] }),
    "registry.k8s.io/e2e-test-images/nonewprivs": (ref, d) => ({
        ref,
        ...busyboxBase([{ src: path.join(d.conformance, "nnp"), dst: "/usr/local/bin/nnp", mode: 0o4755 }]),
        texts: etc(),
        cmd: ["nnp"],
    }),
    "registry.k8s.io/e2e-test-images/sample-apiserver": (ref, d) => ({
        ref,
        ...busyboxBase([{ src: path.join(d.conformance, "sample-apiserver"), dst: "/sample-apiserver" }]),
        texts: etc(),
        entrypoint: ["/sample-apiserver"],
    }),
    "registry.k8s.io/etcd": (ref, d) => ({
        ref,
        files: ["etcd", "etcdctl"].map((b) => ({ src: path.join(d.etcd, b), dst: `/usr/local/bin/${b}` })),
        dirs: ["/var/lib/etcd"],
    }),
};

/** The repositories made here. */
export const MADE_HERE: readonly string[] = Object.keys(BUILDERS);

function pageServer(ref: string, dirs: ConformanceDirs, name: string): ImageSpec {
    const data = path.join(dirs.conformance, "data", name);
    const files = fs.readdirSync(data).map((f) => ({ src: path.join(data, f), dst: `/${f}` }));
    return agnhost(ref, dirs, files, ["test-webserver"]);
}

/** `registry.k8s.io/e2e-test-images/agnhost:2.56` → `registry.k8s.io/e2e-test-images/agnhost`. */
export function repositoryOf(ref: string): string {
    return ref.replace(/:[^/:]+$/, "");
}

export interface ConformanceImages {
    /** The images made here, in the order the suite lists them. */
    readonly specs: ImageSpec[];
    /** The suite's images the cluster's own set already holds (pause). */
    readonly present: string[];
    /** The suite's images not made here (no stand-in): a test that pulls one fails to start it. */
    readonly missing: string[];
}

/** Splits the suite's image list into made here, already in the mirror, and not made. */
export function conformanceImages(listed: readonly string[], clusterRefs: readonly string[], dirs: ConformanceDirs): ConformanceImages {
    const out: ConformanceImages = { specs: [], present: [], missing: [] };
    for (const ref of listed) {
        const build = BUILDERS[repositoryOf(ref)];
        if (clusterRefs.includes(ref)) out.present.push(ref);
        else if (build) out.specs.push(build(ref, dirs));
        else out.missing.push(ref);
    }
    return out;
}
