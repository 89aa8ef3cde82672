// An SSH public host key as pulumi-command pins it (`connection.hostKey`): one OpenSSH line,
// `<type> <base64>`. The provider (1.2.1) parses it with Go's ssh.ParseAuthorizedKey and then
// offers the server exactly `<type>` as host key algorithm, so the type decides what works:
// ed25519 and ECDSA do; `ssh-rsa` would mean SHA-1 signatures, which OpenSSH 8.8+ servers refuse
// by default, so every connection would fail. The blob is decoded here so a truncated paste is a
// config error, not a handshake failure in the middle of `pulumi up`.

export const HOST_KEY_TYPES = ["ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521"] as const;

/** Bytes of an uncompressed ECDSA point (0x04 || x || y) per curve. */
const ECDSA_POINT_BYTES: Record<string, number> = { nistp256: 65, nistp384: 97, nistp521: 133 };

/** The length-prefixed strings of an SSH wire-format blob, or undefined if it is not one. */
function wireStrings(blob: Buffer): Buffer[] | undefined {
    const out: Buffer[] = [];
    let at = 0;
    while (at < blob.length) {
        if (at + 4 > blob.length) return undefined;
        const n = blob.readUInt32BE(at);
        if (at + 4 + n > blob.length) return undefined;
        out.push(blob.subarray(at + 4, at + 4 + n));
        at += 4 + n;
    }
    return out;
}

/** Why the blob is not a public key of `type`, or undefined when it is one. */
function blobProblem(type: string, base64: string): string | undefined {
    const blob = Buffer.from(base64, "base64");
    // Node ignores what is not base64: re-encoding must give the text back.
    if (blob.toString("base64") !== base64) return "its key part is not valid base64 (cut short when pasted?)";
    const parts = wireStrings(blob);
    if (!parts || parts.length === 0 || parts[0].toString() !== type) {
        return `its key part is not an ${type} public key (cut short, or a different key type than the line names?)`;
    }
    if (type === "ssh-ed25519") {
        return parts.length === 2 && parts[1].length === 32 ? undefined : "its key part is not an ed25519 public key (32 bytes)";
    }
    const curve = type.slice("ecdsa-sha2-".length);
    const ok = parts.length === 3 && parts[1].toString() === curve && parts[2].length === ECDSA_POINT_BYTES[curve] && parts[2][0] === 4;
    return ok ? undefined : `its key part is not an ECDSA ${curve} public key`;
}

/**
 * `<type> <base64>` from one OpenSSH public key line (a trailing comment is dropped: it is not part
 * of the key, and the value is the host's identity), or `{ problem }` saying what is wrong.
 */
export function parseHostKey(text: string): string | { problem: string } {
    const fields = text.trim().split(/\s+/);
    const at = fields.findIndex((f) => /^(ssh-|ecdsa-|sk-)/.test(f));
    if (at > 0) {
        return { problem: `starts with "${fields[0]}": give only the key, "<type> <base64>" (ssh-keyscan prints the host name first)` };
    }
    if (at < 0 || fields.length < 2) {
        return { problem: 'must be an SSH public host key like "ssh-ed25519 AAAA…" (the server\'s /etc/ssh/ssh_host_ed25519_key.pub)' };
    }
    const [type, base64] = fields;
    if (type === "ssh-rsa") {
        return {
            problem:
                "is an RSA key: pulumi-command would offer only the SHA-1 `ssh-rsa` algorithm for it, which OpenSSH 8.8+ refuses; use the server's ed25519 key (/etc/ssh/ssh_host_ed25519_key.pub)",
        };
    }
    if (!(HOST_KEY_TYPES as readonly string[]).includes(type)) {
        return { problem: `key type "${type}" is not one of ${HOST_KEY_TYPES.join(", ")}` };
    }
    const why = blobProblem(type, base64);
    return why ? { problem: why } : `${type} ${base64}`;
}

/** The one-line fix for a missing or wrong key: where to read it. */
export function hostKeyHint(address: string): string {
    return (
        `read it on the server (cat /etc/ssh/ssh_host_ed25519_key.pub, e.g. from the Robot console or rescue system), ` +
        `or run \`ssh-keyscan -t ed25519 ${address}\` and check its fingerprint against the server's`
    );
}
