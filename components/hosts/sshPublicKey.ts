// The OpenSSH public key of the stack's private key, so hcloud servers trust exactly that key
// without a second config value that could drift from it.
import * as sshpk from "sshpk";

export function publicKeyOf(privateKey: string): string {
    try {
        const key = sshpk.parsePrivateKey(privateKey, "auto").toPublic();
        key.comment = "v6k8s";
        return key.toString("ssh");
    } catch (e) {
        throw new Error(`sshPrivateKey: not a readable, unencrypted SSH private key (${(e as Error).message})`);
    }
}
