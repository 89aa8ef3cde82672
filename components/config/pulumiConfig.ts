// Reads the stack's config from the Pulumi engine once, validates it, and fails the program with
// one line per problem (no stack trace) before any resource is declared.
import * as pulumi from "@pulumi/pulumi";
import { ConfigError, problem } from "./errors";
import { requiredSecrets, secretValueProblems, validateStackConfig } from "./load";
import type { StackConfig } from "./types";

export interface LoadedSecrets {
    readonly sshPrivateKey: pulumi.Output<string>;
    /** Present when any node is kind hcloud. */
    readonly hcloudToken?: pulumi.Output<string>;
    /** The apiservers' encryption-at-rest key(s), validated (controlplane/render/encryption.ts). */
    readonly encryptionKey: pulumi.Output<string>;
    /** Present when cluster.etcdBackup.s3 is set: the store's access key and secret key. */
    readonly etcdBackupS3?: pulumi.Output<{ accessKey: string; secretKey: string }>;
}

export interface LoadedConfig {
    readonly config: StackConfig;
    readonly secrets: LoadedSecrets;
}

function decode(value: string): unknown {
    // The engine hands structured values as JSON text and plain strings as they are.
    try {
        return JSON.parse(value);
    } catch {
        return value;
    }
}

export function loadConfig(project = pulumi.getProject()): LoadedConfig {
    const all = pulumi.runtime.allConfig();
    const prefix = `${project}:`;
    const raw: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(all)) {
        if (key.startsWith(prefix)) raw[key.slice(prefix.length)] = decode(value);
    }
    try {
        const config = validateStackConfig(raw);
        const needed = requiredSecrets(config);
        const missing = needed.filter((k) => !(k in raw));
        const problems = [
            ...missing.map((k) =>
                problem(
                    [k],
                    k === "encryptionKey"
                        ? "is required: head -c 32 /dev/urandom | base64 | pulumi config set --secret encryptionKey"
                        : `is required: pulumi config set --secret ${k}`,
                ),
            ),
            ...secretValueProblems(raw),
        ];
        if (problems.length > 0) throw new ConfigError(problems);
        const cfg = new pulumi.Config(project);
        return {
            config,
            secrets: {
                sshPrivateKey: cfg.requireSecret("sshPrivateKey"),
                hcloudToken: needed.includes("hcloudToken") ? cfg.requireSecret("hcloudToken") : undefined,
                encryptionKey: cfg.requireSecret("encryptionKey"),
                etcdBackupS3: needed.includes("etcdBackupS3AccessKey")
                    ? pulumi
                          .all([cfg.requireSecret("etcdBackupS3AccessKey"), cfg.requireSecret("etcdBackupS3SecretKey")])
                          .apply(([accessKey, secretKey]) => ({ accessKey, secretKey }))
                    : undefined,
            },
        };
    } catch (e) {
        // RunError is shown to the user without a stack trace.
        if (e instanceof ConfigError) throw new pulumi.RunError(e.message);
        throw e;
    }
}
