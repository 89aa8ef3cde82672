// The certificate and key files one host receives, from PEMs however they were issued (@pulumi/tls
// in the program, OpenSSL in the lab). Pure: shared by NodeKubernetes and the lab.
import { filesOnStdin } from "../hosts/render/commands";
import { sha256 } from "../common/hash";
import type { HostFile, HostFiles } from "../hosts/render/files";
import { PATHS } from "./paths";
import { CA_PROFILES, CertProfile, Signer, trustedCas } from "./pki/profiles";
import { ENCRYPTION_CONFIG_PATH, renderEncryptionConfig } from "./render/encryption";

export interface PkiPems {
    /** CA certificates by signer (never their keys). */
    readonly caCerts: Readonly<Record<Signer, string>>;
    /** Leaf certificate and key PEMs by profile id. */
    readonly leaves: Readonly<Record<string, { readonly cert: string; readonly key: string }>>;
    readonly serviceAccount: { readonly publicKey: string; readonly privateKey: string };
}

const cert = (content: string): HostFile => ({ content, mode: "0644" });
const key = (content: string): HostFile => ({ content, mode: "0600" });

/** The profiles whose certificate and key land on `host`. */
export function heldProfiles(host: string, profiles: readonly CertProfile[]): CertProfile[] {
    return profiles.filter((p) => p.holders.includes(host) && p.paths);
}

/** Key material beyond the certificates that the pki step writes (control-plane nodes only). */
export interface PkiExtras {
    /**
     * The apiservers' encryption-at-rest keys (parsed `encryptionKey`, render/encryption.ts): the
     * EncryptionConfiguration is key material, so it travels with the other keys (mode 0600).
     */
    readonly encryptionKeys?: readonly string[];
}

/**
 * CA certificates the host trusts, its own leaves with keys, and (control plane) the service-account
 * key pair and, given its keys, the encryption-at-rest configuration.
 */
export function hostPkiFiles(
    host: { name: string; controlPlane: boolean },
    profiles: readonly CertProfile[],
    pems: PkiPems,
    extras: PkiExtras = {},
): HostFiles {
    const files = new Map<string, HostFile>();
    for (const s of trustedCas({ name: host.name, controlPlane: host.controlPlane, meshAddress: "", publicAddress: "" })) {
        files.set(CA_PROFILES.find((c) => c.id === s)!.paths.cert, cert(pems.caCerts[s]));
    }
    for (const p of heldProfiles(host.name, profiles)) {
        files.set(p.paths!.cert, cert(pems.leaves[p.id].cert));
        files.set(p.paths!.key, key(pems.leaves[p.id].key));
    }
    if (host.controlPlane) {
        files.set(PATHS.serviceAccount.publicKey, cert(pems.serviceAccount.publicKey));
        files.set(PATHS.serviceAccount.privateKey, key(pems.serviceAccount.privateKey));
        if (extras.encryptionKeys) files.set(ENCRYPTION_CONFIG_PATH, key(renderEncryptionConfig(extras.encryptionKeys)));
    }
    return files;
}

/** The hash the pki step's trigger and the static pods' certificates annotation are made from. */
export function pkiFilesHash(files: HostFiles): string {
    return sha256(filesOnStdin(files));
}

/** The static pods' certificates annotation: the first 16 hex digits of pkiFilesHash. */
export const certificatesAnnotation = (pkiHash: string): string => pkiHash.slice(0, 16);
