// Made-up SSH public host keys: well-formed ed25519 keys (type string and 32 bytes) that no one
// holds the private half of. Public keys only; no private key is ever written down in the tests.
import { createHash } from "crypto";

function wireString(b: Buffer): Buffer {
    const n = Buffer.alloc(4);
    n.writeUInt32BE(b.length);
    return Buffer.concat([n, b]);
}

/** `ssh-ed25519 <base64>`, stable per seed. */
export function fakeHostKey(seed: string): string {
    const point = createHash("sha256").update(`v6k8s fake host key\n${seed}`).digest();
    return `ssh-ed25519 ${Buffer.concat([wireString(Buffer.from("ssh-ed25519")), wireString(point)]).toString("base64")}`;
}
