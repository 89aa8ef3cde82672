// The lab's container images: no public registry is reachable here, so every image the cluster
// runs is built on this machine as a single-layer OCI image (umoci) from the binaries the toolchain
// built from Go modules and from Debian's packages, under the exact names production pulls
// (registry.k8s.io/kube-apiserver:v1.34.2, docker.io/library/haproxy:3.2.19-alpine, ...). The
// hosts then pull them through the stack's registry mirrors, as production pulls from a mirror.
import { createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { clusterCache } from "../config";
import { runSync } from "../run";

/** One file of an image: copied from `src` (symlinks followed) to `dst` inside the image. */
export interface ImageFile {
    readonly src: string;
    readonly dst: string;
    /** The file's mode in the image (default: the source's permission bits), e.g. 0o4755 for setuid. */
    readonly mode?: number;
}

/** A file of an image written from text (an /etc/passwd, a start script). */
export interface ImageText {
    readonly dst: string;
    readonly text: string;
    readonly mode?: number;
}

export interface ImageSpec {
    /** The reference production uses, e.g. `registry.k8s.io/pause:3.10.1`. */
    readonly ref: string;
    readonly files: readonly ImageFile[];
    readonly texts?: readonly ImageText[];
    /** Dynamically linked binaries (paths inside the image): their shared libraries are added. */
    readonly linked?: readonly string[];
    /** Symlinks inside the image: [link, target]. */
    readonly symlinks?: readonly (readonly [string, string])[];
    /** Empty directories inside the image. */
    readonly dirs?: readonly string[];
    readonly entrypoint?: readonly string[];
    readonly cmd?: readonly string[];
    readonly user?: string;
}

const IMAGE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

function imagesCache(): string {
    return path.join(clusterCache(), "images");
}

/** The shared libraries `binary` loads (ldd), including the dynamic loader. */
function sharedLibraries(binary: string): string[] {
    const out = runSync(["ldd", binary], { allowFail: true }).stdout;
    const libs = new Set<string>();
    for (const line of out.split("\n")) {
        const m = /=>\s+(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(/.exec(line);
        if (m) libs.add(m[1]);
    }
    return [...libs].sort();
}

/** Every file the image holds, libraries included, sorted by destination. */
function resolvedFiles(spec: ImageSpec): ImageFile[] {
    const files = new Map(spec.files.map((f) => [f.dst, f]));
    for (const bin of spec.linked ?? []) {
        const f = files.get(bin);
        if (!f) throw new Error(`image ${spec.ref}: linked binary ${bin} is not one of its files`);
        for (const lib of sharedLibraries(f.src)) if (!files.has(lib)) files.set(lib, { src: lib, dst: lib });
    }
    return [...files.values()].sort((a, b) => a.dst.localeCompare(b.dst));
}

/** A key that changes when the spec or any source file changes (size and mtime). */
function imageKey(spec: ImageSpec, files: readonly ImageFile[]): string {
    const h = createHash("sha256").update(JSON.stringify(spec));
    for (const f of files) {
        const st = fs.statSync(f.src);
        h.update(`${f.src}\0${f.dst}\0${st.size}\0${st.mtimeMs}\n`);
    }
    return h.digest("hex").slice(0, 16);
}

/** The OCI layout dir of an image (one per reference). */
function layoutDir(ref: string): string {
    return path.join(imagesCache(), ref.replace(/[^A-Za-z0-9_.-]/g, "_"));
}

/**
 * Builds the image into its OCI layout (tag `lab`) unless the cached one has the same key.
 * Returns the layout dir.
 */
export function buildImage(spec: ImageSpec): string {
    const files = resolvedFiles(spec);
    const key = imageKey(spec, files);
    const dir = layoutDir(spec.ref);
    const stamp = path.join(dir, "v6k8s-key");
    if (fs.existsSync(stamp) && fs.readFileSync(stamp, "utf8") === key) return dir;
    fs.rmSync(dir, { recursive: true, force: true });
    const rootfs = fs.mkdtempSync(path.join(os.tmpdir(), "v6l-rootfs-"));
    try {
        for (const f of files) {
            const target = path.join(rootfs, f.dst);
            fs.mkdirSync(path.dirname(target), { recursive: true });
            fs.copyFileSync(fs.realpathSync(f.src), target);
            fs.chmodSync(target, f.mode ?? fs.statSync(fs.realpathSync(f.src)).mode & 0o777);
        }
        for (const t of spec.texts ?? []) {
            const target = path.join(rootfs, t.dst);
            fs.mkdirSync(path.dirname(target), { recursive: true });
            fs.writeFileSync(target, t.text);
            fs.chmodSync(target, t.mode ?? 0o644);
        }
        for (const [link, target] of spec.symlinks ?? []) {
            fs.mkdirSync(path.join(rootfs, path.dirname(link)), { recursive: true });
            fs.symlinkSync(target, path.join(rootfs, link));
        }
        for (const d of ["tmp", ...(spec.dirs ?? []).map((x) => x.replace(/^\//, ""))])
            fs.mkdirSync(path.join(rootfs, d), { recursive: true });
        fs.chmodSync(path.join(rootfs, "tmp"), 0o1777);
        const image = `${dir}:lab`;
        runSync(["umoci", "init", "--layout", dir]);
        runSync(["umoci", "new", "--image", image]);
        runSync(["umoci", "insert", "--image", image, rootfs, "/"], { timeoutMs: 300_000 });
        const config = ["--architecture", "amd64", "--os", "linux", "--config.env", `PATH=${IMAGE_PATH}`];
        for (const e of spec.entrypoint ?? []) config.push("--config.entrypoint", e);
        for (const c of spec.cmd ?? []) config.push("--config.cmd", c);
        if (spec.user) config.push("--config.user", spec.user);
        runSync(["umoci", "config", "--image", image, ...config]);
        runSync(["umoci", "gc", "--layout", dir]);
    } finally {
        fs.rmSync(rootfs, { recursive: true, force: true });
    }
    fs.writeFileSync(stamp, key);
    return dir;
}
