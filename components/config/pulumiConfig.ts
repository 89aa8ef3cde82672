// Reads the stack's config from the Pulumi engine once, validates it, and fails the program with
// one line per problem (no stack trace) before any resource is declared.
import * as pulumi from "@pulumi/pulumi";
import { ConfigError, problem } from "./errors";
import { SecretKey, requiredSecrets, validateStackConfig } from "./load";
import type { StackConfig } from "./types";

export interface LoadedConfig {
    readonly config: StackConfig;
    readonly secrets: Readonly<Partial<Record<SecretKey, pulumi.Output<string>>>>;
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
        if (missing.length > 0) {
            throw new ConfigError(missing.map((k) => problem([k], `is required: pulumi config set --secret ${k}`)));
        }
        const cfg = new pulumi.Config(project);
        return {
            config,
            secrets: Object.fromEntries(needed.map((k) => [k, cfg.requireSecret(k)])),
        };
    } catch (e) {
        // RunError is shown to the user without a stack trace.
        if (e instanceof ConfigError) throw new pulumi.RunError(e.message);
        throw e;
    }
}
