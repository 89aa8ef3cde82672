// The cloud-init user data of an hcloud server: nothing but its SSH host key. The program makes
// the key (so it knows the public half before the server exists) and every connection pins it;
// cloud-init installs it at first boot before sshd starts. The other host key types are deleted
// and never generated, so sshd has no second key that a connection could be answered with.
// The text holds a private key: callers keep it a secret.
import { stringify } from "yaml";

export interface HostKeyPair {
    /** The private key in OpenSSH format (tls.PrivateKey's privateKeyOpenssh). */
    readonly privateKey: string;
    /** `ssh-ed25519 <base64>`. */
    readonly publicKey: string;
}

export function hostKeyUserData(key: HostKeyPair): string {
    const publicKey = key.publicKey.trim();
    if (!/^ssh-ed25519 [A-Za-z0-9+/]+={0,3}$/.test(publicKey))
        throw new Error(`host key: not an ssh-ed25519 public key: ${publicKey.slice(0, 40)}`);
    const config = {
        // Remove the image's host keys (cloud-init's default on a first boot; said here because it is the point).
        ssh_deletekeys: true,
        // Generate none: with only ssh_keys given cloud-init generates nothing, and this keeps it so.
        ssh_genkeytypes: [],
        ssh_keys: {
            ed25519_private: key.privateKey.endsWith("\n") ? key.privateKey : `${key.privateKey}\n`,
            ed25519_public: publicKey,
        },
    };
    return `#cloud-config\n${stringify(config, { lineWidth: 0 })}`;
}
