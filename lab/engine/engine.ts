// The real Pulumi engine for the lab: the CLI, the Node.js language host and the kubernetes provider
// plugin built by tools/pulumi-toolchain.sh, and the lab's stand-ins for the command and tls
// plugins (lab/plugins, built by lab/plugins/build.sh), all found on PATH, never downloaded; a file
// backend and PULUMI_HOME in a directory of the lab, passphrase secrets. Every pulumi command runs in
// the operator's network namespace (the lab's IPv6 internet, inside adminPrefixes): the only place
// the hosts' sshd and the apiserver at the first control-plane node's public address are reachable,
// as for the Pulumi runner in production.
import * as fs from "fs";
import * as path from "path";
import { INET6_NS, REPO_DIR } from "../config";
import { inNs } from "../netns";
import { runWithProgress } from "../progress";
import { RunOptions, RunResult, run, runSync } from "../run";

/** The binaries `pulumi up` of this stack needs. */
const ENGINE_BINARIES = ["pulumi", "pulumi-language-nodejs", "pulumi-resource-kubernetes"] as const;
const TOOLCHAIN = path.join(REPO_DIR, "tools", "pulumi-toolchain.sh");
/** The lab's stand-ins for the plugins the module proxy refuses (lab/plugins). */
export const STAND_INS = ["pulumi-resource-command", "pulumi-resource-tls"] as const;
const STAND_INS_BUILD = path.join(REPO_DIR, "lab", "plugins", "build.sh");

/** The toolchain's bin directory and the engine binaries missing from it (built by the script). */
export function engineToolchain(): { bin: string; missing: string[] } {
    const bin = runSync(["bash", TOOLCHAIN, "--print-path"]).stdout.trim();
    const missing = ENGINE_BINARIES.filter((b) => !fs.existsSync(path.join(bin, b)) || !fs.existsSync(path.join(bin, `.${b}.stamp`)));
    return { bin, missing };
}

/**
 * The engine for the lab's own `pulumi up`: builds what is missing (the CLI, language host and
 * kubernetes plugin from Go modules; the stand-in plugins from lab/plugins), showing progress, and
 * returns the toolchain's bin directory and the stand-ins' directory.
 */
export async function ensureEngine(log: (l: string) => void): Promise<{ bin: string; standIns: string }> {
    const { bin, missing } = engineToolchain();
    if (missing.length > 0) {
        log(
            `lab: the Pulumi engine lacks ${missing.join(", ")} in ${bin}: building it from Go modules (cold, about 20 minutes on 2 cores; ` +
                "cached by version, a warm run builds nothing)",
        );
        const r = await runWithProgress(["bash", TOOLCHAIN, "--only", "pulumi,language-nodejs,kubernetes"], {
            prefix: "pulumi-toolchain: ",
            current: (line) => /building (\S+)/.exec(line)?.[1],
            log,
            timeoutMs: 60 * 60_000,
        });
        const after = engineToolchain();
        if (after.missing.length > 0) {
            throw new Error(`lab: could not build ${after.missing.join(", ")}:\n${r.stderr.trim().split("\n").slice(-10).join("\n")}`);
        }
    }
    const standIns = runSync(["bash", STAND_INS_BUILD, "--print-dir"]).stdout.trim();
    if (!STAND_INS.every((b) => fs.existsSync(path.join(standIns, b)))) {
        const r = await runWithProgress(["bash", STAND_INS_BUILD], { prefix: "lab/plugins/build.sh: ", log, timeoutMs: 20 * 60_000 });
        if (r.code !== 0) throw new Error(`lab: lab/plugins/build.sh failed:\n${r.stderr.trim().split("\n").slice(-10).join("\n")}`);
    }
    return { bin, standIns };
}

/** The preview/up summary: op -> count. */
export type ChangeSummary = Record<string, number>;

/**
 * The pulumi CLI for one project: backend and PULUMI_HOME in `dir`, the passphrase from a file,
 * the toolchain's binaries (and `pluginDirs` first) on PATH, in the operator's namespace.
 */
export class EngineStack {
    readonly env: Record<string, string>;

    constructor(
        readonly bin: string,
        readonly dir: string,
        readonly project: string,
        opts: { pluginDirs: readonly string[]; passphraseFile: string },
    ) {
        fs.mkdirSync(path.join(this.dir, "state"), { recursive: true });
        fs.mkdirSync(path.join(this.dir, "home"), { recursive: true });
        // Node 22 (the npm package node@22) for the language host; the toolchain's binaries first.
        const node = path.join(REPO_DIR, "node_modules", "node", "bin");
        this.env = {
            PATH: [...opts.pluginDirs, bin, ...(fs.existsSync(node) ? [node] : []), process.env.PATH ?? ""].join(":"),
            PULUMI_HOME: path.join(this.dir, "home"),
            PULUMI_BACKEND_URL: `file://${path.join(this.dir, "state")}`,
            PULUMI_CONFIG_PASSPHRASE_FILE: opts.passphraseFile,
            PULUMI_SKIP_UPDATE_CHECK: "1",
            // A missing plugin is an error naming it, never a download attempt.
            PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
            NO_COLOR: "1",
        };
    }

    /** `pulumi ARGS --cwd <project> --non-interactive` in the operator's namespace. */
    pulumi(args: readonly string[], opts: RunOptions & { cwd?: string } = {}): Promise<RunResult> {
        const argv = [
            "env",
            ...Object.entries({ ...this.env, ...opts.env }).map(([k, v]) => `${k}=${v}`),
            path.join(this.bin, "pulumi"),
            ...args,
            "--cwd",
            opts.cwd ?? this.project,
            "--non-interactive",
        ];
        return run(inNs(INET6_NS, argv), { ...opts, env: undefined, timeoutMs: opts.timeoutMs ?? 900_000 });
    }
}

/** Counts of each resource operation in the last "Resources:" block of `pulumi up/destroy` output. */
export function resourceSummary(output: string): ChangeSummary {
    const block = output.slice(output.lastIndexOf("Resources:"));
    const summary: ChangeSummary = {};
    for (const m of block.matchAll(
        /^\s+(?:[+~\-±]+\s*)?(\d+) (created|updated|deleted|replaced|unchanged|to create|to update|to delete|to replace)/gm,
    )) {
        summary[m[2]] = Number(m[1]);
    }
    return summary;
}

/** A resource `pulumi up` changed, as its progress line says (a replacement counts once). */
export interface EngineStep {
    readonly op: "created" | "updated" | "deleted" | "replaced";
    readonly type: string;
    readonly name: string;
}

/**
 * Every resource the run changed, from the engine's own progress lines (`+  command:remote:Command
 * mesh-lab1 created (0.4s)`, `+- … replaced`); a replacement's `created replacement` and `deleted
 * original` lines are part of its `replaced` one.
 */
export function engineSteps(output: string): EngineStep[] {
    const steps: EngineStep[] = [];
    for (const m of output.matchAll(
        /^ ?(?:\+\+|\+-|--|\+|-|~)\s+(\S+:\S+)\s+(\S+)\s+(created|updated|deleted|replaced)( replacement| original)?\b/gm,
    )) {
        if (m[4]) continue;
        if (m[1] === "pulumi:pulumi:Stack") continue;
        steps.push({ op: m[3] as EngineStep["op"], type: m[1], name: m[2] });
    }
    return steps;
}

/**
 * What an operator reads first when `pulumi up` failed: its Diagnostics block (up to Outputs or
 * Resources), without the warnings about plugins found on PATH; the output's end when there is none.
 */
export function diagnostics(output: string): string {
    const start = output.lastIndexOf("Diagnostics:");
    if (start < 0) return output.slice(-3000);
    const rest = output.slice(start);
    const end = rest.search(/\n(Outputs:|Resources:)/);
    return (end < 0 ? rest : rest.slice(0, end))
        .split("\n")
        .filter((l) => !/warning: using pulumi-resource-\S+ from \$PATH/.test(l))
        .join("\n")
        .trim();
}
