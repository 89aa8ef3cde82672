// The `encryptionKey` secret's form, checked with the rest of the config before anything is
// declared; the control plane's EncryptionConfiguration (controlplane/render/encryption.ts) takes
// the keys it returns. And the rotation's order, checked against the previous run's key names.
import { sha256 } from "../common/hash";
import { problem } from "./errors";

/** secretbox takes exactly 32-byte keys. */
export const ENCRYPTION_KEY_BYTES = 32;

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** A key's name in the EncryptionConfiguration (and the `encryptionKeys` output): a short hash, so a rotated key has a new name. */
export function encryptionKeyName(key: string): string {
    return `v6k8s-${sha256(key).slice(0, 12)}`;
}

/**
 * A rotation in the only order that keeps every Secret readable by every apiserver while the
 * apiservers restart one after another: (1) add the new key second (a reader everywhere), (2) put
 * it first (the writer; the old one stays a reader), rewrite every Secret, (3) drop the old key.
 * `previous` is the previous run's `encryptionKeys` output (names, the writer first; nothing on
 * a first run), `current` the names now. One line per step taken too early.
 */
export function rotationProblems(previous: unknown, current: readonly string[]): string[] {
    const before = Array.isArray(previous) ? previous.filter((n): n is string => typeof n === "string") : [];
    if (before.length === 0 || current.length === 0 || current[0] === before[0]) return [];
    const lines: string[] = [];
    if (!before.includes(current[0])) {
        lines.push(
            problem(
                ["encryptionKey"],
                "its first key (the one new Secrets are written with) was not a key of the previous `pulumi up`, so an apiserver " +
                    "not yet restarted could not read what the first restarted one writes: add the new key second " +
                    '(`<old>,<new>`) and run pulumi up, then put it first (README, Day-2 "Rotate the encryption key"). Nothing was changed.',
            ),
        );
    }
    if (!current.includes(before[0])) {
        lines.push(
            problem(
                ["encryptionKey"],
                "drops the key Secrets were written with until now while the writer changes: keep it second in this run, " +
                    "rewrite every Secret with the new key, and drop it in the next run. Nothing was changed.",
            ),
        );
    }
    return lines;
}

/**
 * The `encryptionKey` secret: one base64 32-byte key (`head -c 32 /dev/urandom | base64`), or for a
 * rotation several, comma-separated: the first encrypts new writes, all of them decrypt. Rotate in
 * three runs (rotationProblems): the new key second, then first (and rewrite every Secret:
 * `kubectl get secrets -A -o json | kubectl replace -f -`), then drop the old key.
 * Returns the keys, or the problem (never echoing the value).
 */
export function parseEncryptionKeys(text: string): { keys: string[] } | { problem: string } {
    const keys = text.split(",").map((k) => k.trim());
    for (const [i, key] of keys.entries()) {
        const which = keys.length > 1 ? `key ${i + 1}` : "the key";
        if (!BASE64.test(key) || key.length % 4 !== 0) {
            return { problem: `${which} is not base64 (make one with: head -c 32 /dev/urandom | base64)` };
        }
        const bytes = Buffer.from(key, "base64").length;
        if (bytes !== ENCRYPTION_KEY_BYTES) {
            return {
                problem: `${which} is ${bytes} bytes, secretbox needs exactly ${ENCRYPTION_KEY_BYTES} (head -c 32 /dev/urandom | base64)`,
            };
        }
    }
    if (new Set(keys).size !== keys.length) return { problem: "lists a key twice" };
    return { keys };
}
