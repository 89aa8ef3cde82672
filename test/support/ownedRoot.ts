// Runs file-writing steps for real (bash, or sh) against a scratch root: the files' paths are moved
// under the root, the steps' owned lists go to <root>/owned, and stubs of systemctl and ip log their
// arguments (systemctl also whether the unit's file still exists when it is called).
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { HostFile, HostFiles } from "../../components/hosts/render/files";
import { OWNED_DIR_ENV } from "../../components/hosts/render/owned";

export interface ScratchRoot {
    readonly root: string;
    /** Where the steps' lists are: <root>/owned. */
    readonly owned: string;
    /** `files` with every path under the root. */
    reroot(files: ReadonlyMap<string, HostFile>): HostFiles;
    /** Runs a step's script; fails the test on a non-zero exit unless `allowFail`. */
    run(
        script: string,
        opts?: { shell?: string; input?: string; allowFail?: boolean; env?: Record<string, string> },
    ): { status: number | null; stdout: string; stderr: string };
    /** The stubs' calls so far, one per line ("systemctl disable --now x.service [file present]"). */
    calls(): string[];
    /** The lines of a step's list, or null when it has none. */
    list(owner: string): string[] | null;
}

/**
 * A fresh scratch root. `links` lists interfaces the `ip` stub reports as existing (`ip link show`
 * succeeds for them).
 */
export function scratchRoot(opts: { links?: readonly string[] } = {}): ScratchRoot {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "v6k8s-owned-"));
    const bin = path.join(root, "stub-bin");
    const log = path.join(root, "calls.log");
    fs.mkdirSync(bin);
    fs.writeFileSync(log, "");
    const unitDir = `${root}/etc/systemd/system`;
    // `SYSTEMCTL_FAIL=1` makes every call fail (a unit that does not stop).
    fs.writeFileSync(
        path.join(bin, "systemctl"),
        [
            "#!/bin/sh",
            `unit="$(eval echo \\\${$#})"`,
            `if [ -e "${unitDir}/$unit" ]; then where="file present"; else where="file absent"; fi`,
            `echo "systemctl $* [$where]" >> ${log}`,
            `[ "\${SYSTEMCTL_FAIL:-}" != 1 ]`,
            "",
        ].join("\n"),
        { mode: 0o755 },
    );
    const links = opts.links ?? [];
    fs.writeFileSync(
        path.join(bin, "ip"),
        [
            "#!/bin/sh",
            `echo "ip $*" >> ${log}`,
            `case "$*" in`,
            ...links.map((l) => `    "link show ${l}") exit 0 ;;`),
            `    "link show "*) exit 1 ;;`,
            "esac",
            "",
        ].join("\n"),
        { mode: 0o755 },
    );
    const owned = path.join(root, "owned");
    return {
        root,
        owned,
        reroot: (files) => new Map([...files].map(([p, f]) => [`${root}${p}`, f])),
        run(script, o = {}) {
            const env = { ...process.env, PATH: `${bin}:${process.env.PATH}`, [OWNED_DIR_ENV]: owned, ...o.env };
            const r = spawnSync(o.shell ?? "bash", ["-c", script], { encoding: "utf8", env, input: o.input });
            if (!o.allowFail && r.status !== 0) throw new Error(`step failed (${r.status}): ${r.stderr}`);
            return { status: r.status, stdout: r.stdout, stderr: r.stderr };
        },
        calls: () => fs.readFileSync(log, "utf8").split("\n").filter(Boolean),
        list(owner) {
            const file = path.join(owned, `${owner}.list`);
            return fs.existsSync(file) ? fs.readFileSync(file, "utf8").split("\n").filter(Boolean) : null;
        },
    };
}

/** Inode and mtime of every file under `dir` (recursively), for "nothing was touched". */
export function fileStamps(dir: string): Map<string, string> {
    const out = new Map<string, string>();
    const walk = (d: string) => {
        for (const e of fs.readdirSync(d, { withFileTypes: true })) {
            const p = path.join(d, e.name);
            if (e.isDirectory()) walk(p);
            else {
                const s = fs.statSync(p);
                out.set(p, `${s.ino} ${s.mtimeMs} ${s.mode}`);
            }
        }
    };
    walk(dir);
    return out;
}
