// The transport production uses: OpenSSH. Every cluster-lab host runs Debian's sshd inside its
// machine, listening on its public address with its own host key and accepting only the lab
// stack's key; the runner reaches it from the operator's namespace on the lab's IPv6 internet and
// sends each step as the one command string the component sends (@pulumi/command runs it the
// same way: one exec request, the remote login shell runs it, stdin attached). Host keys are
// pinned: the client refuses any host whose key is not the one recorded here.
import * as fs from "fs";
import * as path from "path";
import { parseDocument } from "yaml";
import { hostPort } from "../../components/common/net";
import { SSH_PORT } from "../../components/common/ports";
import { labS3Ca } from "./s3";
import { projectName } from "../../components/config/stackFile";
import { INET6_NS, STATE_DIR } from "../config";
import { inNs } from "../netns";
import { PidRecord, isRunning, records, startDaemon } from "../processes";
import { RunOptions, RunResult, eventually, run } from "../run";
import type { LabHost } from "../state";
import { machineArgv, machineEnv } from "./machine";

const SSH_DIR = path.join(STATE_DIR, "ssh");
/** The lab stack's SSH key (production: the `sshPrivateKey` secret). Generated per lab, never in git. */
const SSH_KEY = path.join(SSH_DIR, "id_ed25519");
const KNOWN_HOSTS = path.join(SSH_DIR, "known_hosts");
const SSHD = "/usr/sbin/sshd";

const sshdDir = (host: LabHost) => path.join(host.root, ".sshd");
const hostKeyFile = (host: LabHost) => path.join(sshdDir(host), "ssh_host_ed25519_key");
const sshdName = (host: LabHost) => `${host.name}-sshd`;

/** Key generations under way: hosts start their sshd in parallel and share the lab key. */
const generating = new Map<string, Promise<unknown>>();

async function keygen(file: string, comment: string): Promise<void> {
    if (fs.existsSync(file) && !generating.has(file)) return;
    if (!generating.has(file)) {
        fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
        const p = run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", file]);
        generating.set(
            file,
            p.finally(() => generating.delete(file)),
        );
    }
    await generating.get(file);
}

/** The lab stack's key pair; returns the public key line. */
async function labSshKey(): Promise<string> {
    await keygen(SSH_KEY, "v6k8s-lab");
    return fs.readFileSync(`${SSH_KEY}.pub`, "utf8").trim();
}

/** The host's SSH host public key (`ssh-ed25519 AAAA…`), made once: it survives power cycles like a disk. */
async function hostPublicKey(host: LabHost): Promise<string> {
    await keygen(hostKeyFile(host), `root@${host.name}`);
    return fs
        .readFileSync(`${hostKeyFile(host)}.pub`, "utf8")
        .trim()
        .split(" ")
        .slice(0, 2)
        .join(" ");
}

/** A reinstall's: the host key goes with the disk; the next sshd start makes a new one. */
export function dropHostKey(host: LabHost): void {
    for (const f of [hostKeyFile(host), `${hostKeyFile(host)}.pub`]) fs.rmSync(f, { force: true });
}

/**
 * sshd_config: the host's public address only, keys only, root by key only. `SetEnv` is the lab's
 * one addition to a session: the glue first on PATH (systemctl & co.) and where the glue keeps
 * its state, as in-machine.sh gives a command entered with nsenter.
 */
function sshdConfig(host: LabHost): string {
    const env = machineEnv(host);
    const pathVar = `${env.V6L_GLUE}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`;
    const setEnv = [`PATH=${pathVar}`, ...Object.entries(env).map(([k, v]) => `${k}=${v}`)];
    for (const e of setEnv) if (/\s|"/.test(e)) throw new Error(`lab: sshd SetEnv value must not hold spaces or quotes: ${e}`);
    return [
        `ListenAddress ${hostPort(host.publicAddress, SSH_PORT)}`,
        `HostKey ${hostKeyFile(host)}`,
        `AuthorizedKeysFile ${path.join(sshdDir(host), "authorized_keys")}`,
        `PidFile ${path.join(sshdDir(host), "sshd.pid")}`,
        "PermitRootLogin prohibit-password",
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "UsePAM no",
        "PrintMotd no",
        "AcceptEnv none",
        `SetEnv ${setEnv.join(" ")}`,
        "",
    ].join("\n");
}

function sshdOf(host: LabHost): PidRecord | undefined {
    return records().find((r) => r.name === sshdName(host) && isRunning(r));
}

/** Starts the host's sshd in its machine (as ssh.service does at boot) and waits until it answers. */
export async function startSshd(host: LabHost): Promise<void> {
    const publicKey = await labSshKey();
    const hostKey = await hostPublicKey(host);
    fs.writeFileSync(path.join(sshdDir(host), "authorized_keys"), `${publicKey}\n`, { mode: 0o600 });
    fs.writeFileSync(path.join(sshdDir(host), "sshd_config"), sshdConfig(host), { mode: 0o600 });
    pinHostKey(host, hostKey);
    if (!sshdOf(host)) {
        startDaemon(sshdName(host), machineArgv(host, [SSHD, "-D", "-e", "-f", path.join(sshdDir(host), "sshd_config")]), machineEnv(host));
    }
    const up = await eventually(
        async () => (await sshOnHost(host, "true", { allowFail: true, timeoutMs: 15_000 })).code === 0,
        30_000,
        500,
    );
    if (!up) {
        const r = await sshOnHost(host, "true", { allowFail: true, timeoutMs: 15_000 });
        throw new Error(
            `lab: ${host.name}'s sshd does not accept the lab key on ${hostPort(host.publicAddress, SSH_PORT)}: ${r.stderr.trim()}`,
        );
    }
}

/** Records the host's key for its public address in the runner's known_hosts (replacing an older one). */
function pinHostKey(host: LabHost, hostKey: string): void {
    const old = fs.existsSync(KNOWN_HOSTS) ? fs.readFileSync(KNOWN_HOSTS, "utf8").split("\n") : [];
    const kept = old.filter((l) => l && !l.startsWith(`${host.publicAddress} `));
    fs.writeFileSync(KNOWN_HOSTS, [...kept, `${host.publicAddress} ${hostKey}`, ""].join("\n"), { mode: 0o600 });
}

/**
 * ssh from the operator's namespace: the lab key only, the pinned host key only (no agent, no
 * config file, no prompt), and the script as ONE argument, so the server gets it byte for byte.
 */
export function sshArgv(host: LabHost, script: string): string[] {
    return inNs(INET6_NS, [
        "ssh",
        "-F",
        "none",
        "-i",
        SSH_KEY,
        "-o",
        "IdentitiesOnly=yes",
        "-o",
        "BatchMode=yes",
        "-o",
        `UserKnownHostsFile=${KNOWN_HOSTS}`,
        "-o",
        "GlobalKnownHostsFile=/dev/null",
        "-o",
        "StrictHostKeyChecking=yes",
        "-o",
        "ConnectTimeout=10",
        "-o",
        "ServerAliveInterval=15",
        "-o",
        "LogLevel=ERROR",
        `root@${host.publicAddress}`,
        script,
    ]);
}

/** A step's command text on the host over SSH (stdin: what the step gets on stdin). */
export function sshOnHost(host: LabHost, script: string, opts: RunOptions = {}): Promise<RunResult> {
    return run(sshArgv(host, script), opts);
}

/** Where the lab writes its stack for `pulumi up --stack lab`: the cluster stack with the hosts' real keys. */
export const LAB_STACK_FILE = path.join(STATE_DIR, "Pulumi.lab.yaml");

/** The host's SSH host public key (`ssh-ed25519 AAAA…`), as its sshd presents it. */
export const hostKeyOf = (host: LabHost): Promise<string> => hostPublicKey(host);

/**
 * Pulumi.lab.yaml: the cluster lab's stack file with each node's `hostKey` set to the key its sshd
 * presents (made per lab, so it cannot be committed): the stack `npm run lab:cluster` applies, and
 * the file later applies start from (README, "The lab stack"). `only`: set only these nodes' keys
 * (the others keep the file's); `out`: where to write (default Pulumi.lab.yaml).
 */
export async function writeLabStack(
    stackFile: string,
    hosts: readonly LabHost[],
    opts: { only?: readonly string[]; out?: string } = {},
): Promise<string> {
    const doc = parseDocument(fs.readFileSync(stackFile, "utf8"));
    const key = `${projectName()}:nodes`;
    const nodes = doc.getIn(["config", key]) as { items: unknown[] } | undefined;
    if (!nodes) throw new Error(`lab: ${stackFile} has no config.${key}`);
    // The lab's S3 store has a CA made for this lab (lab/cluster/s3.ts).
    const s3 = ["config", `${projectName()}:cluster`, "etcdBackup", "s3"];
    if (doc.hasIn(s3)) doc.setIn([...s3, "caCertificate"], labS3Ca());
    for (const [i, n] of (doc.toJS().config[key] as { name: string }[]).entries()) {
        const host = hosts.find((h) => h.name === n.name);
        if (host && (opts.only === undefined || opts.only.includes(n.name)))
            doc.setIn(["config", key, i, "hostKey"], await hostPublicKey(host));
    }
    if (opts.out === undefined)
        doc.commentBefore = ` Written by the cluster lab (lab/cluster/ssh.ts) from ${path.relative(path.join(__dirname, "..", ".."), stackFile)}: each\n hostKey is the key that host's sshd presents in this lab. Secrets: see README, "The lab stack".`;
    const out = opts.out ?? LAB_STACK_FILE;
    fs.writeFileSync(out, doc.toString());
    return out;
}
