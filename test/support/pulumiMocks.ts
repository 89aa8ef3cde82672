// Runs index.ts under Pulumi mocks and records every resource it declares.
// Any provider function call (data source) fails the test: the program must plan offline.
import * as pulumi from "@pulumi/pulumi";
import { createHash, generateKeyPairSync } from "crypto";
import * as path from "path";
import { fakeHostKey } from "./hostKeys";
// The program drops Pulumi's per-promise debug stacks itself; so does every mocked run here.
import "../../components/promiseStacks";

export interface RecordedResource {
    type: string;
    name: string;
    inputs: Record<string, unknown>;
    /** Names of the resources in this resource's dependsOn. */
    dependsOn: string[];
    parent?: string;
    /** Name of the provider resource the resource uses, when it names one explicitly. */
    provider?: string;
    /** The `deleteBeforeReplace` resource option. */
    deleteBeforeReplace?: boolean;
    /** Outputs the engine marks secret (`additionalSecretOutputs`, set by SDKs such as @pulumi/tls). */
    additionalSecretOutputs?: string[];
}

export interface ProgramRun {
    outputs: Record<string, unknown>;
    resources: RecordedResource[];
}

const PROGRAM = path.join(__dirname, "..", "..", "index.ts");
export const PROJECT = "v6k8s";

/**
 * The membership commands (components/controlplane/membership.ts): the only commands without
 * triggers (a replacement would run their delete: drain a node that stays), run on another node.
 */
export const isMembershipCommand = (name: string): boolean => /^k8s-[a-z0-9-]+-(membership|etcd-member|leave)$/.test(name);

/** Encodes raw config the way the engine hands it over: strings as-is, the rest as JSON. */
export function engineConfig(raw: Record<string, unknown>, secrets: Record<string, string> = {}) {
    const config: Record<string, string> = {};
    for (const [k, v] of Object.entries(raw)) config[`${PROJECT}:${k}`] = typeof v === "string" ? v : JSON.stringify(v);
    for (const [k, v] of Object.entries(secrets)) config[`${PROJECT}:${k}`] = v;
    return { config, secretKeys: Object.keys(secrets).map((k) => `${PROJECT}:${k}`) };
}

/** Mock provider state: echo the inputs, plus whatever `outputs` adds for a resource type. */
export type OutputsFor = (r: RecordedResource) => Record<string, unknown>;

/** A throwaway SSH key made per test run: no private key is ever committed. */
export const TEST_SSH_KEY = generateKeyPairSync("ed25519", {
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
    publicKeyEncoding: { type: "spki", format: "pem" },
}).privateKey;

/** The `encryptionKey` secret of the mock runs: 32 bytes, base64 (a test checks it never leaves the secret step). */
export const TEST_ENCRYPTION_KEY = Buffer.alloc(32, "v6k8s-test-encryption-key-").toString("base64");

/** The etcd backups' S3 credentials of the mock runs (a test checks they never leave the secret step). */
export const TEST_S3_CREDENTIALS = { accessKey: "AKV6K8STEST", secretKey: "v6k8s-test-s3-secret/key+0123456789" } as const;

/** A stable fake WireGuard public key per resource name (44 base64 chars, like the real ones). */
export function fakePublicKey(seed: string): string {
    return createHash("sha256").update(seed).digest("base64");
}

/** What the providers would return: hcloud's assigned prefixes, the key command's stdout. */
export function defaultOutputs(r: RecordedResource): Record<string, unknown> {
    if (r.type === "hcloud:index/server:Server") {
        const n = createHash("sha256").update(String(r.inputs.name)).digest("hex").slice(0, 4);
        return {
            ipv6Network: `2001:db8:c0de:${n}::/64`,
            ipv6Address: `2001:db8:c0de:${n}::1`,
            ipv4Address: r.inputs.publicNets && (r.inputs.publicNets as { ipv4Enabled?: boolean }[])[0]?.ipv4Enabled ? "198.51.100.7" : "",
        };
    }
    // @pulumi/tls: PEM-shaped fakes that name the resource, so tests can tell them apart.
    const pem = (kind: string) => `-----BEGIN ${kind}-----\nFAKE ${r.name}\n-----END ${kind}-----\n`;
    if (r.type === "tls:index/privateKey:PrivateKey") {
        // The OpenSSH forms too (hcloud host keys): a well-formed ed25519 public key per resource.
        return {
            privateKeyPem: pem("PRIVATE KEY"),
            publicKeyPem: pem("PUBLIC KEY"),
            privateKeyOpenssh: pem("OPENSSH PRIVATE KEY"),
            publicKeyOpenssh: `${fakeHostKey(r.name)}\n`,
        };
    }
    if (r.type === "tls:index/certRequest:CertRequest") return { certRequestPem: pem("CERTIFICATE REQUEST") };
    if (r.type === "tls:index/selfSignedCert:SelfSignedCert" || r.type === "tls:index/locallySignedCert:LocallySignedCert") {
        // As the provider does: valid from now for `validityPeriodHours`, RFC 3339 to the second.
        const end = new Date(Date.now() + Number(r.inputs.validityPeriodHours ?? 0) * 3_600_000);
        return { certPem: pem("CERTIFICATE"), validityEndTime: end.toISOString().replace(/\.\d{3}Z$/, "Z"), readyForRenewal: false };
    }
    // The program's reference to its own stack (hosts/removals.ts): a first run, no outputs yet.
    if (r.type === "pulumi:pulumi:StackReference") return { outputs: {}, secretOutputNames: [] };
    if (r.type === "command:remote:Command") {
        return { stdout: r.name.endsWith("-wireguard-key") ? `${fakePublicKey(r.name)}\n` : "", stderr: "" };
    }
    return {};
}

interface RegisterRequest {
    getName(): string;
    getParent(): string;
    getDependenciesList(): string[];
    getDeletebeforereplace(): boolean;
    getAdditionalsecretoutputsList(): string[];
}

/** The engine's wire forms: a secret wrapper and the unknown sentinel (runtime/rpc.ts). */
export const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const SECRET_VALUE_SIG = "1b47061264138c4ac30d75fd1eb44270";
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/**
 * The provider's answer as the engine hands it to the program: outputs named in
 * `additionalSecretOutputs` become secrets (the engine does that, not the SDK, so plain mocks
 * miss it), and in an engine-like preview every output the provider computes (not an echoed
 * input) is unknown, as on a fresh stack.
 */
function engineState(rec: RecordedResource, inputs: Record<string, unknown>, computed: Record<string, unknown>, unknowns: boolean) {
    const state: Record<string, unknown> = { ...inputs };
    for (const [k, v] of Object.entries(computed)) state[k] = unknowns ? UNKNOWN : v;
    for (const k of rec.additionalSecretOutputs ?? []) {
        if (k in state && !(typeof state[k] === "object" && state[k] !== null && SECRET_SIG in (state[k] as object))) {
            state[k] = { [SECRET_SIG]: SECRET_VALUE_SIG, value: state[k] };
        }
    }
    return state;
}

/** urn:pulumi:stack::project::type$type::name -> name */
function urnName(urn: string): string {
    return urn.slice(urn.lastIndexOf("::") + 2);
}

export async function runProgram(
    raw: Record<string, unknown>,
    opts: {
        preview?: boolean;
        /** With `preview`: every computed output is unknown, as in a real preview of a fresh stack. */
        unknowns?: boolean;
        secrets?: Record<string, string>;
        outputs?: OutputsFor;
        /** The provider id of a resource; default `<name>-id`. */
        id?: (r: RecordedResource) => string | undefined;
    } = {},
): Promise<ProgramRun> {
    const resources: RecordedResource[] = [];
    const deps = new Map<string, Partial<RecordedResource>>();
    const { config, secretKeys } = engineConfig(
        raw,
        opts.secrets ?? {
            sshPrivateKey: TEST_SSH_KEY,
            hcloudToken: "t".repeat(64),
            encryptionKey: TEST_ENCRYPTION_KEY,
            etcdBackupS3AccessKey: TEST_S3_CREDENTIALS.accessKey,
            etcdBackupS3SecretKey: TEST_S3_CREDENTIALS.secretKey,
        },
    );
    pulumi.runtime.setAllConfig(config, secretKeys);
    await pulumi.runtime.setMocks(
        {
            newResource(args) {
                // A provider reference is "<provider urn>::<provider id>".
                const provider = args.provider ? urnName(args.provider.slice(0, args.provider.lastIndexOf("::"))) : undefined;
                const rec: RecordedResource = {
                    type: args.type,
                    name: args.name,
                    inputs: args.inputs,
                    dependsOn: [],
                    provider,
                    ...deps.get(args.name),
                };
                resources.push(rec);
                const unknowns = (opts.preview ?? false) && (opts.unknowns ?? false);
                const computed = { ...defaultOutputs(rec), ...(opts.outputs?.(rec) ?? {}) };
                return {
                    id: unknowns ? undefined : (opts.id?.(rec) ?? `${args.name}-id`),
                    state: engineState(rec, args.inputs, computed, unknowns),
                };
            },
            call(args) {
                throw new Error(`unexpected provider call ${args.token}: the program must not use data sources`);
            },
        },
        PROJECT,
        "test",
        opts.preview ?? false,
        // The DIY backend's organization: the program references its own stack by its full name.
        "organization",
    );
    // Record every resource's dependencies (explicit dependsOn and those its inputs imply) and its
    // parent, as the engine receives them.
    const monitor = pulumi.runtime.getMonitor() as unknown as { registerResource: (req: RegisterRequest, cb: unknown) => unknown };
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req, cb) => {
        deps.set(req.getName(), {
            dependsOn: req.getDependenciesList().map(urnName),
            parent: req.getParent() ? urnName(req.getParent()) : undefined,
            deleteBeforeReplace: req.getDeletebeforereplace(),
            additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
        });
        return register(req, cb);
    };
    // A failure inside an apply (a renderer throwing, say) only surfaces as an unhandled
    // rejection: collect them, so a broken program fails the test instead of declaring less.
    const failures: unknown[] = [];
    const onFailure = (e: unknown) => failures.push(e);
    process.on("unhandledRejection", onFailure);
    try {
        delete require.cache[require.resolve(PROGRAM)];
        const outputs = (await import(PROGRAM)) as Record<string, unknown>;
        // Let every registration finish (some wait on other resources' outputs) before reporting.
        await (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
        await new Promise((r) => setImmediate(r));
        if (failures.length > 0) throw failures[0];
        return { outputs, resources };
    } finally {
        process.off("unhandledRejection", onFailure);
    }
}

/** Resolves an Output (or plain value) deeply; unknown preview values become `undefined`. */
export async function resolve<T>(value: pulumi.Input<T>): Promise<T | undefined> {
    const out = pulumi.output(value) as pulumi.Output<T> & { isKnown: Promise<boolean>; promise(): Promise<T> };
    if (!(await out.isKnown)) return undefined;
    return out.promise();
}
