// One readable line per config problem, each naming the key path it is about.
import type { z } from "zod";

/** Thrown before any resource is declared; `problems` holds one line per problem. */
export class ConfigError extends Error {
    constructor(readonly problems: readonly string[]) {
        super(`invalid stack config:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
        this.name = "ConfigError";
    }
}

export type KeyPath = readonly (string | number | symbol)[];

/** ["nodes", 2, "index"] -> "nodes[2].index" */
export function formatPath(path: KeyPath): string {
    return path.reduce<string>((acc, part) => {
        if (typeof part === "number") return `${acc}[${part}]`;
        return acc === "" ? String(part) : `${acc}.${String(part)}`;
    }, "");
}

export function problem(path: KeyPath, message: string): string {
    const where = formatPath(path);
    return where === "" ? message : `${where}: ${message}`;
}

function describe(value: unknown): string {
    if (value === null) return "null";
    if (Array.isArray(value)) return "a list";
    if (typeof value === "object") return "a map";
    if (typeof value === "string") return `string ${JSON.stringify(value)}`;
    return `${typeof value} ${String(value)}`;
}

/** Closest known key within edit distance 2, for "did you mean". */
export function suggest(key: string, known: readonly string[]): string | undefined {
    let best: { key: string; distance: number } | undefined;
    for (const candidate of known) {
        const d = editDistance(key.toLowerCase(), candidate.toLowerCase());
        if (d <= 2 && (best === undefined || d < best.distance)) best = { key: candidate, distance: d };
    }
    return best?.key;
}

function editDistance(a: string, b: string): number {
    let row = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
        const next = [i];
        for (let j = 1; j <= b.length; j++) {
            next[j] = Math.min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
        }
        row = next;
    }
    return row[b.length];
}

export function unknownKey(path: KeyPath, key: string, known: readonly string[], hint?: string): string {
    const guess = suggest(key, known);
    const extra = hint ?? (guess ? `did you mean "${guess}"?` : `known keys: ${known.join(", ")}`);
    return problem([...path, key], `unknown key (${extra})`);
}

/**
 * Turns zod issues into problem lines. `input` is the value that was parsed, so a type error can
 * say what it found; `keyHint` explains unknown keys that are valid elsewhere.
 */
export function fromZod(
    base: KeyPath,
    issues: readonly z.core.$ZodIssue[],
    input: unknown,
    knownKeys: (path: KeyPath) => readonly string[],
    keyHint: (path: KeyPath, key: string) => string | undefined = () => undefined,
): string[] {
    const lines: string[] = [];
    for (const issue of issues) {
        const path = [...base, ...issue.path];
        switch (issue.code) {
            case "unrecognized_keys":
                for (const key of issue.keys) {
                    lines.push(unknownKey(path, key, knownKeys(issue.path), keyHint(issue.path, key)));
                }
                break;
            case "invalid_type": {
                const found = valueAt(input, issue.path);
                const quote = issue.expected === "string" && typeof found === "number" ? " (quote it in YAML)" : "";
                lines.push(
                    problem(
                        path,
                        found === undefined
                            ? "is required"
                            : `expected ${issue.expected === "int" ? "an integer" : issue.expected}, got ${describe(found)}${quote}`,
                    ),
                );
                break;
            }
            case "invalid_value":
                lines.push(
                    problem(
                        path,
                        `${describe(valueAt(input, issue.path))} is not one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`,
                    ),
                );
                break;
            case "invalid_union": {
                const options = "options" in issue ? (issue.options ?? []) : [];
                lines.push(
                    problem(
                        path,
                        issue.discriminator
                            ? `${describe(valueAt(input, issue.path))} is not one of ${options.map((v) => JSON.stringify(v)).join(", ")}`
                            : issue.message,
                    ),
                );
                break;
            }
            case "too_small":
                lines.push(
                    problem(
                        path,
                        issue.origin === "array"
                            ? `must list at least ${String(issue.minimum)}`
                            : `${String(valueAt(input, issue.path))} is below the minimum ${String(issue.minimum)}`,
                    ),
                );
                break;
            case "too_big":
                lines.push(problem(path, `${String(valueAt(input, issue.path))} is above the maximum ${String(issue.maximum)}`));
                break;
            default:
                lines.push(problem(path, issue.message));
        }
    }
    return lines;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
    let v: unknown = input;
    for (const part of path) {
        if (v === null || typeof v !== "object") return undefined;
        v = (v as Record<PropertyKey, unknown>)[part];
    }
    return v;
}
