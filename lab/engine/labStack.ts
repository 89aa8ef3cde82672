// The lab's `pulumi up`: the program (index.ts, the repository's own Pulumi project) under the real
// engine, with the real CLI, Node.js language host and kubernetes plugin, and the lab's stand-ins
// for the command and tls plugins (lab/plugins), from the operator's namespace, against the lab's
// machines over their sshd. The engine's graph is the only order: nothing here runs a step itself.
//
// Where things live, under /run/v6k8s-lab/pulumi (gone with `npm run lab:down`): the file backend
// (state/), PULUMI_HOME (home/), the passphrase of the stack's secrets (passphrase), the apiservers'
// encryption key (encryption-key, like the `encryptionKey` secret; made once per lab), and the
// config file each apply runs with (Pulumi.lab.yaml: the given stack file's config, the salt of the
// stack's secrets, and the two secrets: the lab's SSH key as `sshPrivateKey`, and `encryptionKey`).
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { parse, stringify } from "yaml";
import { projectName } from "../../components/config/stackFile";
import { REPO_DIR, STATE_DIR } from "../config";
import { RunResult } from "../run";
import { ChangeSummary, EngineStack, ensureEngine, resourceSummary } from "./engine";

export const PULUMI_DIR = path.join(STATE_DIR, "pulumi");
const WORK_CONFIG = path.join(PULUMI_DIR, "Pulumi.lab.yaml");
const PASSPHRASE = path.join(PULUMI_DIR, "passphrase");
const ENCRYPTION_KEY = path.join(PULUMI_DIR, "encryption-key");
/** Where `pulumi stack init` writes the new stack's salt (a project directory with only Pulumi.yaml). */
const INIT_DIR = path.join(PULUMI_DIR, "init");
/** The lab stack's SSH key (production: the `sshPrivateKey` secret); lab/cluster/ssh.ts makes it. */
export const LAB_SSH_KEY = path.join(STATE_DIR, "ssh", "id_ed25519");
export const LAB_STACK = "lab";
/** Config keys the lab sets as secrets: never taken from a stack file. */
const SECRET_KEYS = ["sshPrivateKey", "encryptionKey", "hcloudToken", "etcdBackupS3AccessKey", "etcdBackupS3SecretKey"];
/** The S3 store's credentials the applies set (lab/cluster/s3.ts makes the store and writes them). */
const S3_CREDENTIALS = path.join(PULUMI_DIR, "etcd-backup-s3.json");

export interface ApplyResult extends RunResult {
    readonly summary: ChangeSummary;
    readonly seconds: number;
}

export interface ApplyOptions {
    /** Extra `pulumi up` arguments (`--target`, `--replace`, ...). */
    readonly args?: readonly string[];
    /** Each line of the engine's output as it comes (default: none). */
    readonly onLine?: (line: string) => void;
    /** Ctrl-C the engine at the first output line for which this is true. */
    readonly interruptWhen?: (line: string) => boolean;
    readonly timeoutMs?: number;
    /** Extra environment of the engine and its plugins (the tls stand-in's clock: V6K8S_LAB_TLS_CLOCK_OFFSET). */
    readonly env?: Record<string, string>;
}

/** A resource of the stack's state, secrets decrypted (`pulumi stack export --show-secrets`). */
export interface StateResource {
    readonly urn: string;
    readonly type: string;
    readonly id?: string;
    /** The last part of the URN: the name the program gave it (`k8s-lab1-start`). */
    readonly name: string;
    readonly inputs: Record<string, unknown>;
    readonly outputs: Record<string, unknown>;
}

/** The `encryptionKey` every apply sets (made once per lab). */
export function labEncryptionKey(): string {
    return fs.readFileSync(ENCRYPTION_KEY, "utf8").trim();
}

export interface S3Credentials {
    readonly accessKey: string;
    readonly secretKey: string;
}

/** The etcd backups' S3 credentials the applies set (etcdBackupS3AccessKey, etcdBackupS3SecretKey). */
export function labS3StackCredentials(): S3Credentials {
    return JSON.parse(fs.readFileSync(S3_CREDENTIALS, "utf8")) as S3Credentials;
}

/** What the next applies set as the S3 credentials (wrong ones: cluster check 7i). */
export function setLabS3StackCredentials(c: S3Credentials): void {
    fs.mkdirSync(PULUMI_DIR, { recursive: true, mode: 0o700 });
    fs.writeFileSync(S3_CREDENTIALS, JSON.stringify(c), { mode: 0o600 });
}

/** What the next applies set as `encryptionKey` (a rotation's stage, cluster check 7e). */
export function setLabEncryptionKey(text: string): void {
    fs.writeFileSync(ENCRYPTION_KEY, text, { mode: 0o600 });
}

function once(file: string, make: () => string): string {
    if (!fs.existsSync(file)) fs.writeFileSync(file, make(), { mode: 0o600 });
    return fs.readFileSync(file, "utf8");
}

/** A secret in an exported state is `{ <sig>: ..., plaintext: "<JSON>" }` with --show-secrets. */
function reveal(v: unknown): unknown {
    if (Array.isArray(v)) return v.map(reveal);
    if (v && typeof v === "object") {
        const o = v as Record<string, unknown>;
        if (typeof o.plaintext === "string" && "4dabf18193072939515e22adb298388d" in o) return reveal(JSON.parse(o.plaintext));
        return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, reveal(x)]));
    }
    return v;
}

export class LabEngine {
    private constructor(readonly stack: EngineStack) {}

    /** The engine and the lab's stack (created on first use). */
    static async open(log: (l: string) => void): Promise<LabEngine> {
        const { bin, standIns } = await ensureEngine(log);
        fs.mkdirSync(PULUMI_DIR, { recursive: true, mode: 0o700 });
        once(PASSPHRASE, () => randomBytes(24).toString("base64"));
        once(ENCRYPTION_KEY, () => randomBytes(32).toString("base64"));
        const stack = new EngineStack(bin, PULUMI_DIR, REPO_DIR, { pluginDirs: [standIns], passphraseFile: PASSPHRASE });
        const engine = new LabEngine(stack);
        if (!fs.existsSync(path.join(INIT_DIR, `Pulumi.${LAB_STACK}.yaml`))) {
            fs.mkdirSync(INIT_DIR, { recursive: true });
            fs.writeFileSync(path.join(INIT_DIR, "Pulumi.yaml"), `name: ${projectName()}\nruntime: nodejs\n`);
            await stack.pulumi(["stack", "init", LAB_STACK, "--secrets-provider", "passphrase"], { cwd: INIT_DIR });
        }
        return engine;
    }

    /** The stack's salt, as `pulumi stack init` wrote it. */
    private salt(): string {
        const salt = (parse(fs.readFileSync(path.join(INIT_DIR, `Pulumi.${LAB_STACK}.yaml`), "utf8")) as { encryptionsalt?: string })
            .encryptionsalt;
        if (!salt) throw new Error(`lab: no encryptionsalt in ${INIT_DIR}/Pulumi.${LAB_STACK}.yaml`);
        return salt;
    }

    /** Writes the config file an apply runs with: the stack file's config, the salt, the lab's secrets. */
    async configure(stackFile: string): Promise<string> {
        const project = projectName();
        const doc = parse(fs.readFileSync(stackFile, "utf8")) as { config?: Record<string, unknown> };
        const config = Object.fromEntries(
            Object.entries(doc.config ?? {}).filter(([k]) => !SECRET_KEYS.map((s) => `${project}:${s}`).includes(k)),
        );
        fs.writeFileSync(WORK_CONFIG, stringify({ config, encryptionsalt: this.salt() }), { mode: 0o600 });
        const s3 = (config[`${project}:cluster`] as { etcdBackup?: { s3?: unknown } } | undefined)?.etcdBackup?.s3;
        const s3Secrets = s3
            ? [
                  ["etcdBackupS3AccessKey", labS3StackCredentials().accessKey],
                  ["etcdBackupS3SecretKey", labS3StackCredentials().secretKey],
              ]
            : [];
        // On stdin, never on a command line (/proc/*/cmdline).
        for (const [key, value] of [
            ["sshPrivateKey", fs.readFileSync(LAB_SSH_KEY, "utf8")],
            ["encryptionKey", fs.readFileSync(ENCRYPTION_KEY, "utf8")],
            ...s3Secrets,
        ]) {
            await this.stack.pulumi(
                ["config", "set", "--secret", "--stack", LAB_STACK, "--config-file", WORK_CONFIG, `${project}:${key}`],
                {
                    input: value,
                },
            );
        }
        return WORK_CONFIG;
    }

    /** `pulumi up --stack lab --yes` of the stack file; the engine's output is returned (and streamed to onLine). */
    async apply(stackFile: string, opts: ApplyOptions = {}): Promise<ApplyResult> {
        await this.configure(stackFile);
        const t0 = Date.now();
        const r = await this.stack.pulumi(["up", "--stack", LAB_STACK, "--yes", "--config-file", WORK_CONFIG, ...(opts.args ?? [])], {
            allowFail: true,
            timeoutMs: opts.timeoutMs ?? 45 * 60_000,
            onLine: opts.onLine ? (l) => opts.onLine!(l) : undefined,
            interruptWhen: opts.interruptWhen,
            env: opts.env,
        });
        return { ...r, summary: resourceSummary(r.stdout), seconds: (Date.now() - t0) / 1000 };
    }

    /**
     * `pulumi preview` of the stack file (`--expect-no-changes` and such in args; env: e.g.
     * PULUMI_NODEJS_TRANSPILE_ONLY), as CI runs previews: with PULUMI_SKIP_CHECKPOINTS=true (a
     * preview persists nothing; README, "The engine's cost"), unless `env` says otherwise.
     */
    async preview(stackFile: string, args: readonly string[] = [], env: Record<string, string> = {}): Promise<RunResult> {
        await this.configure(stackFile);
        return this.stack.pulumi(["preview", "--stack", LAB_STACK, "--config-file", WORK_CONFIG, ...args], {
            allowFail: true,
            timeoutMs: 20 * 60_000,
            env: { PULUMI_SKIP_CHECKPOINTS: "true", ...env },
        });
    }

    /** The stack's outputs, secrets shown. */
    async outputs(): Promise<Record<string, unknown>> {
        const r = await this.stack.pulumi(["stack", "output", "--json", "--show-secrets", "--stack", LAB_STACK], { cwd: INIT_DIR });
        return JSON.parse(r.stdout) as Record<string, unknown>;
    }

    /** Every resource of the state, secrets decrypted. */
    async resources(): Promise<StateResource[]> {
        const r = await this.stack.pulumi(["stack", "export", "--show-secrets", "--stack", LAB_STACK], {
            cwd: INIT_DIR,
            timeoutMs: 120_000,
        });
        const dep = (JSON.parse(r.stdout) as { deployment: { resources?: Omit<StateResource, "name">[] } }).deployment;
        return (dep.resources ?? []).map((x) => ({
            ...x,
            name: x.urn.slice(x.urn.lastIndexOf("::") + 2),
            inputs: reveal(x.inputs ?? {}) as Record<string, unknown>,
            outputs: reveal(x.outputs ?? {}) as Record<string, unknown>,
        }));
    }
}
