// The `encryptionKey` secret's form, checked with the rest of the config before anything is
// declared; the control plane's EncryptionConfiguration (controlplane/render/encryption.ts) takes
// the keys it returns.

/** secretbox takes exactly 32-byte keys. */
export const ENCRYPTION_KEY_BYTES = 32;

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * The `encryptionKey` secret: one base64 32-byte key (`head -c 32 /dev/urandom | base64`), or for a
 * rotation several, comma-separated: the first encrypts new writes, all of them decrypt. Rotate by
 * putting a new key first, `pulumi up`, rewriting every Secret
 * (`kubectl get secrets -A -o json | kubectl replace -f -`), then dropping the old key.
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
