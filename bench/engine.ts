// `pulumi preview` of generated stacks with the real engine: the CLI and Node.js language host from
// tools/pulumi-toolchain.sh, and the provider plugins found on PATH (pulumi-resource-command, -tls,
// -kubernetes; the toolchain's kubernetes plugin if PATH has none). Stacks of 30, 100 and 300
// dedicated nodes (3 control-plane, the first with IPv4, as the issue measured), each previewed
// once in a fresh file backend, a throwaway PULUMI_HOME and a passphrase stack, no network, as
// the project runs previews: with PULUMI_SKIP_CHECKPOINTS=true (README, "The engine's cost").
// Prints resources, wall time and the peak RSS of the engine (`pulumi`), the program (node) and
// the plugins, then the goals as PASS/FAIL. Where a plugin is missing it says which and measures
// nothing. BENCH_ENGINE_NODES="30 100" picks sizes; BENCH_ENGINE_CHECKPOINTS=1 also runs each
// size with the engine's default (a checkpoint after every step: quadratic, 300 nodes take about
// 25 minutes); BENCH_ENGINE_PROFILE=DIR writes the engine's CPU and heap profiles there
// (`--profiling`). A benchmark, not a test.
import { spawn, spawnSync } from "child_process";
import { createHash, generateKeyPairSync, randomBytes } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { stringify } from "yaml";
import { projectName } from "../components/config/stackFile";
import { sizedConfig } from "../test/support/fixtures";

const REPO = path.join(__dirname, "..");
const PLUGINS = ["pulumi-resource-command", "pulumi-resource-tls", "pulumi-resource-kubernetes"] as const;
const STAND_INS = spawnSync("bash", [path.join(REPO, "lab", "plugins", "build.sh"), "--print-dir"], { encoding: "utf8" }).stdout.trim();

interface Sample {
    /** "skip": PULUMI_SKIP_CHECKPOINTS=true; "default": a checkpoint after every step. */
    checkpoints: "skip" | "default";
    nodes: number;
    resources: number;
    seconds: number;
    /** Peak RSS (VmHWM) in MB: the engine process, the program, the largest plugin process. */
    engineMb: number;
    programMb: number;
    pluginMb: number;
    /** A hash of the preview's steps (operation and URN, sorted): the same plan whatever the checkpoints. */
    plan: string;
}

function which(bin: string, pathVar: string): string | undefined {
    for (const dir of pathVar.split(":")) {
        const p = path.join(dir, bin);
        if (dir && fs.existsSync(p)) return p;
    }
    return undefined;
}

/** Peak RSS of every process under `root` (VmHWM, polled), by kind. */
class PeakRss {
    private readonly peaks = new Map<number, { comm: string; kb: number }>();

    sample(root: number): void {
        for (const pid of [root, ...this.descendants(root)]) {
            try {
                const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
                const comm = /^Name:\s+(\S+)/m.exec(status)?.[1] ?? "?";
                const kb = Number(/^VmHWM:\s+(\d+)/m.exec(status)?.[1] ?? 0);
                const prev = this.peaks.get(pid);
                if (!prev || kb > prev.kb) this.peaks.set(pid, { comm, kb });
            } catch {
                // Gone between the listing and the read.
            }
        }
    }

    /** Children of every thread (a Go process starts its children from any of them). */
    private descendants(pid: number): number[] {
        const kids: number[] = [];
        try {
            for (const task of fs.readdirSync(`/proc/${pid}/task`)) {
                const list = fs.readFileSync(`/proc/${pid}/task/${task}/children`, "utf8").trim();
                if (list) kids.push(...list.split(/\s+/).map(Number));
            }
        } catch {
            return kids;
        }
        return kids.flatMap((k) => [k, ...this.descendants(k)]);
    }

    /** The largest peak among processes whose name passes `match`, in MB. */
    max(match: (comm: string) => boolean): number {
        return Math.max(0, ...[...this.peaks.values()].filter((p) => match(p.comm)).map((p) => p.kb / 1024));
    }
}

function run(argv: string[], env: NodeJS.ProcessEnv, input?: string): string {
    const r = spawnSync(argv[0], argv.slice(1), { env, input, encoding: "utf8", maxBuffer: 256 * 2 ** 20 });
    if (r.status !== 0) throw new Error(`${argv.join(" ")} failed (exit ${r.status}):\n${(r.stdout + r.stderr).slice(-3000)}`);
    return r.stdout;
}

async function preview(
    nodes: number,
    checkpoints: Sample["checkpoints"],
    pulumi: string,
    env: NodeJS.ProcessEnv,
    profile?: string,
): Promise<Sample> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `v6k8s-engine-${nodes}-`));
    try {
        const project = projectName();
        const stack = `bench${nodes}`;
        const e: NodeJS.ProcessEnv = {
            ...env,
            PULUMI_HOME: path.join(dir, "home"),
            PULUMI_BACKEND_URL: `file://${path.join(dir, "state")}`,
            PULUMI_CONFIG_PASSPHRASE: "bench",
            PULUMI_SKIP_UPDATE_CHECK: "1",
            PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
            NO_COLOR: "1",
        };
        delete e.PULUMI_SKIP_CHECKPOINTS;
        if (checkpoints === "skip") e.PULUMI_SKIP_CHECKPOINTS = "true";
        fs.mkdirSync(path.join(dir, "state"));
        // The stack (and its salt) is made in a directory of its own, never in the repository.
        const init = path.join(dir, "init");
        fs.mkdirSync(init);
        fs.writeFileSync(path.join(init, "Pulumi.yaml"), `name: ${project}\nruntime: nodejs\n`);
        run([pulumi, "stack", "init", stack, "--secrets-provider", "passphrase", "--cwd", init, "--non-interactive"], e);
        const salt = /encryptionsalt: (\S+)/.exec(fs.readFileSync(path.join(init, `Pulumi.${stack}.yaml`), "utf8"))![1];
        const raw = sizedConfig(nodes);
        raw.nodes[0].ipv4 = "203.0.113.10";
        const configFile = path.join(dir, `Pulumi.${stack}.yaml`);
        fs.writeFileSync(
            configFile,
            stringify({ config: { [`${project}:cluster`]: raw.cluster, [`${project}:nodes`]: raw.nodes }, encryptionsalt: salt }),
        );
        const key = generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" }).toString();
        for (const [k, v] of [
            ["sshPrivateKey", key],
            ["encryptionKey", randomBytes(32).toString("base64")],
        ]) {
            run(
                [pulumi, "config", "set", "--secret", "--stack", stack, "--config-file", configFile, `${project}:${k}`, "--cwd", REPO],
                e,
                v,
            );
        }
        const args = ["preview", "--stack", stack, "--config-file", configFile, "--cwd", REPO, "--non-interactive", "--json"];
        if (profile) args.push("--profiling", path.join(profile, `engine-${nodes}-${checkpoints}`));
        const rss = new PeakRss();
        const t0 = process.hrtime.bigint();
        const child = spawn(pulumi, args, { env: e, stdio: ["ignore", "pipe", "pipe"] });
        let out = "";
        let err = "";
        child.stdout.on("data", (d) => (out += d));
        child.stderr.on("data", (d) => (err += d));
        const timer = setInterval(() => rss.sample(child.pid!), 100);
        const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
        clearInterval(timer);
        const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
        if (code !== 0) throw new Error(`pulumi preview of ${nodes} nodes failed (exit ${code}):\n${(out + err).slice(-4000)}`);
        const steps = (JSON.parse(out) as { steps?: { op: string; urn: string }[] }).steps ?? [];
        const plan = createHash("sha256")
            .update(
                steps
                    .map((st) => `${st.op} ${st.urn}`)
                    .sort()
                    .join("\n"),
            )
            .digest("hex")
            .slice(0, 12);
        return {
            checkpoints,
            nodes,
            resources: steps.length,
            seconds,
            engineMb: rss.max((c) => c === "pulumi"),
            programMb: rss.max((c) => c === "node" || c.startsWith("node")),
            pluginMb: rss.max((c) => c.startsWith("pulumi-resource")),
            plan,
        };
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

async function main(): Promise<number> {
    const bin = spawnSync("bash", [path.join(REPO, "tools", "pulumi-toolchain.sh"), "--print-path"], { encoding: "utf8" }).stdout.trim();
    const pulumi = path.join(bin, "pulumi");
    const node22 = path.join(REPO, "node_modules", "node", "bin");
    // The toolchain's language host (and kubernetes plugin) after whatever PATH brings.
    const pathVar = [process.env.PATH ?? "", bin, ...(fs.existsSync(node22) ? [node22] : [])].join(":");
    const missing = [pulumi, path.join(bin, "pulumi-language-nodejs")].filter((p) => !fs.existsSync(p));
    const found = PLUGINS.map((p) => [p, which(p, pathVar)] as const);
    for (const [p, at] of found) if (!at) missing.push(`${p} (not on PATH)`);
    if (missing.length > 0) {
        console.log(
            `bench:engine measures nothing: missing ${missing.join(", ")} (tools/pulumi-toolchain.sh builds the CLI, language host and kubernetes plugin)`,
        );
        return 2;
    }
    console.log("\nReal engine: `pulumi preview` of generated stacks (dedicated nodes, 3 control-plane, one IPv4), one fresh stack each");
    console.log(
        `pulumi ${run([pulumi, "version"], process.env).trim()}; ${os.cpus().length} CPUs, load average ${os.loadavg()[0].toFixed(2)}`,
    );
    for (const [p, at] of found) console.log(`  ${p}: ${at}${at!.startsWith(STAND_INS) ? " (the lab's stand-in, lab/plugins)" : ""}`);
    const sizes = (process.env.BENCH_ENGINE_NODES ?? "30 100 300").split(/\s+/).filter(Boolean).map(Number);
    const profile = process.env.BENCH_ENGINE_PROFILE;
    if (profile) fs.mkdirSync(profile, { recursive: true });
    const env = { ...process.env, PATH: pathVar };
    const modes: Sample["checkpoints"][] = process.env.BENCH_ENGINE_CHECKPOINTS === "1" ? ["skip", "default"] : ["skip"];
    const rows: Sample[] = [];
    console.log("checkpoints  nodes  resources  wall s  engine MB  program MB  plugin MB");
    for (const n of sizes) {
        for (const mode of modes) {
            const s = await preview(n, mode, pulumi, env, profile);
            rows.push(s);
            console.log(
                `${s.checkpoints.padStart(11)}  ${String(s.nodes).padStart(5)}  ${String(s.resources).padStart(9)}  ${s.seconds.toFixed(1).padStart(6)}  ${s.engineMb.toFixed(0).padStart(9)}  ${s.programMb.toFixed(0).padStart(10)}  ${s.pluginMb.toFixed(0).padStart(9)}`,
            );
        }
    }
    // The goals are for previews as the project runs them (checkpoints skipped).
    const at = (n: number) => rows.find((r) => r.nodes === n && r.checkpoints === "skip");
    const goals: [string, boolean][] = [];
    for (const n of modes.length > 1 ? sizes : []) {
        const same = new Set(rows.filter((r) => r.nodes === n).map((r) => r.plan)).size === 1;
        goals.push([`${n} nodes: the same plan with and without checkpoints`, same]);
    }
    const [s30, s100, s300] = [at(30), at(100), at(300)];
    if (s30 && s300) {
        const t = s300.seconds / s30.seconds;
        const m = s300.engineMb / s30.engineMb;
        goals.push([`300/30 nodes: time x${t.toFixed(1)} <= 12`, t <= 12], [`300/30 nodes: engine memory x${m.toFixed(1)} <= 12`, m <= 12]);
    }
    if (s300)
        goals.push([
            `300 nodes: ${s300.seconds.toFixed(0)} s < 120 s, engine ${(s300.engineMb / 1024).toFixed(2)} GB < 3 GB`,
            s300.seconds < 120 && s300.engineMb < 3072,
        ]);
    if (s100) goals.push([`100 nodes: ${s100.seconds.toFixed(1)} s < 45 s`, s100.seconds < 45]);
    for (const [text, ok] of goals) console.log(`${ok ? "PASS" : "FAIL"}  ${text}`);
    if (profile) console.log(`engine profiles in ${profile} (go tool pprof -top <pulumi binary> <file>.cpu)`);
    return goals.every(([, ok]) => ok) ? 0 : 1;
}

if (require.main === module) {
    main().then(
        (code) => (process.exitCode = code),
        (e: Error) => {
            console.error(e.message);
            process.exitCode = 1;
        },
    );
}
