// Reads a Pulumi stack file (Pulumi.<stack>.yaml) the way the engine would hand its config to the
// program, for the offline tools (plan, render). Secrets stay encrypted: they are only checked
// for being secrets.
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { ConfigError, problem } from "./errors";
import { SECRET_KEYS, validateStackConfig } from "./load";
import type { StackConfig } from "./types";

export const PROJECT_FILE = path.join(__dirname, "..", "..", "Pulumi.yaml");

export function projectName(projectFile = PROJECT_FILE): string {
    const doc = parse(fs.readFileSync(projectFile, "utf8")) as { name?: unknown };
    if (typeof doc?.name !== "string") throw new Error(`${projectFile} has no project name`);
    return doc.name;
}

/** The project's keys of a stack file's `config:` map, namespace stripped; other namespaces dropped. */
export function projectKeys(configMap: Record<string, unknown>, project: string): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [fullKey, value] of Object.entries(configMap)) {
        const colon = fullKey.indexOf(":");
        const ns = colon < 0 ? project : fullKey.slice(0, colon);
        if (ns === project) out[colon < 0 ? fullKey : fullKey.slice(colon + 1)] = value;
    }
    return out;
}

function isEncrypted(value: unknown): boolean {
    return typeof value === "object" && value !== null && typeof (value as { secure?: unknown }).secure === "string";
}

/** Parses and validates a stack file. Throws ConfigError (bad YAML included) with key-named lines. */
export function readStackFile(file: string, project = projectName()): StackConfig {
    let doc: unknown;
    try {
        doc = parse(fs.readFileSync(file, "utf8"));
    } catch (e) {
        throw new ConfigError([`${file}: ${(e as Error).message.split("\n")[0]}`]);
    }
    const configMap = (doc as { config?: unknown } | null)?.config;
    if (typeof configMap !== "object" || configMap === null || Array.isArray(configMap)) {
        throw new ConfigError([`${file}: has no "config:" map`]);
    }
    const raw = projectKeys(configMap as Record<string, unknown>, project);
    const plaintextSecrets = SECRET_KEYS.filter((k) => k in raw && !isEncrypted(raw[k])).map((k) =>
        problem([k], "is in plain text: set it with `pulumi config set --secret " + k + "`"),
    );
    try {
        const config = validateStackConfig(raw);
        if (plaintextSecrets.length === 0) return config;
    } catch (e) {
        if (!(e instanceof ConfigError)) throw e;
        throw new ConfigError([...plaintextSecrets, ...e.problems]);
    }
    throw new ConfigError(plaintextSecrets);
}
