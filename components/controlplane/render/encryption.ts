// Encryption at rest: the apiserver's EncryptionConfiguration (secretbox, XSalsa20-Poly1305), which
// encrypts Secrets before they reach etcd (and so etcd's disk, snapshots and peer traffic).
//
// The key comes from the stack config as a required secret (`encryptionKey`), not from a generated
// resource: it must stay the same on every run (a new key makes every stored Secret unreadable),
// crypto.randomBytes would change each run, and @pulumi/random would add a provider plugin this
// project cannot build (docs/pulumi-toolchain.md). A config secret is encrypted in the stack file,
// backed up with it, and rotated deliberately (see `parseEncryptionKeys` in config/encryptionKey.ts).
//
// The file is key material: it is written by the PKI step with the other key files (mode 0600),
// never by the files step, and never appears in command text outside that secret step.
import { encryptionKeyName } from "../../config/encryptionKey";
import { PKI_DIR } from "../paths";
import { renderYaml } from "./staticPod";

/** In PKI_DIR, with the other key files: the apiserver already mounts that directory read-only. */
export const ENCRYPTION_CONFIG_PATH = `${PKI_DIR}/encryption-config.yaml`;
/** What is encrypted: Secrets (the resources that hold key material and tokens). */
export const ENCRYPTED_RESOURCES = ["secrets"] as const;

/** A key's name in the file: a short hash, so a rotated key has a new name (the apiserver requires unique names). */
export { encryptionKeyName };

export function encryptionConfiguration(keys: readonly string[]) {
    if (keys.length === 0) throw new RangeError("encryptionKey: at least one key is required");
    return {
        apiVersion: "apiserver.config.k8s.io/v1",
        kind: "EncryptionConfiguration",
        resources: [
            {
                resources: [...ENCRYPTED_RESOURCES],
                providers: [
                    { secretbox: { keys: keys.map((secret) => ({ name: encryptionKeyName(secret), secret })) } },
                    // Reads what was stored before encryption was turned on; never used for writes.
                    { identity: {} },
                ],
            },
        ],
    };
}

export function renderEncryptionConfig(keys: readonly string[]): string {
    return renderYaml(
        "Rendered by v6k8s: encryption at rest for the apiserver. KEY MATERIAL: mode 0600, root only.",
        encryptionConfiguration(keys),
    );
}
