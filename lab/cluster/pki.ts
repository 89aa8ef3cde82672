// The cluster's PKI for the lab: the program's own certificate profiles (certProfiles, from the
// same pkiInput the program builds), issued with OpenSSL instead of @pulumi/tls (no tls provider
// plugin can be had here), and turned into each host's files by the program's hostPkiFiles (with
// the encryption-at-rest config, from a key made here as the `encryptionKey` secret would be).
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as path from "path";
import type { StackConfig } from "../../components/config/types";
import { pkiInput } from "../../components/controlplane/facts";
import { hostPkiFiles, PkiPems } from "../../components/controlplane/pkiFiles";
import { CA_PROFILES, CertProfile, certProfiles } from "../../components/controlplane/pki/profiles";
import type { HostFiles } from "../../components/hosts/render/files";
import type { AddressPlan } from "../../components/network/plan";
import { issueWithOpenssl } from "../../test/support/opensslPki";
import { STATE_DIR } from "../config";
import { runSync } from "../run";

export interface LabPki {
    readonly dir: string;
    readonly profiles: readonly CertProfile[];
    readonly pems: PkiPems;
    /** The admin client certificate and key (PEM), and the cluster CA. */
    readonly admin: { readonly cert: string; readonly key: string; readonly ca: string };
    /** The apiservers' encryption-at-rest key (base64, 32 bytes), new with each PKI like the certificates. */
    readonly encryptionKey: string;
}

export function issueLabPki(config: StackConfig, plan: AddressPlan, publicAddresses: readonly string[]): LabPki {
    const dir = path.join(STATE_DIR, "pki");
    fs.rmSync(dir, { recursive: true, force: true });
    const profiles = certProfiles(pkiInput(config.cluster, plan, publicAddresses));
    const issued = issueWithOpenssl(dir, profiles);
    const read = (f: string) => fs.readFileSync(f, "utf8");
    // The service-account signing key pair: ECDSA P-256, as ClusterPki makes it.
    const saKey = path.join(dir, "sa.key");
    runSync(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", saKey]);
    const saPub = runSync(["openssl", "pkey", "-in", saKey, "-pubout"]).stdout;
    const pems: PkiPems = {
        caCerts: Object.fromEntries(CA_PROFILES.map((c) => [c.id, read(issued.ca(c.id).cert)])) as PkiPems["caCerts"],
        leaves: Object.fromEntries(profiles.map((p) => [p.id, { cert: read(issued.leaf(p.id).cert), key: read(issued.leaf(p.id).key) }])),
        serviceAccount: { publicKey: saPub, privateKey: read(saKey) },
    };
    const encryptionKey = randomBytes(32).toString("base64");
    return { dir, profiles, pems, admin: { ...pems.leaves.admin, ca: pems.caCerts.cluster }, encryptionKey };
}

export function labHostPkiFiles(pki: LabPki, host: { name: string; controlPlane: boolean }): HostFiles {
    return hostPkiFiles(host, pki.profiles, pki.pems, { encryptionKeys: [pki.encryptionKey] });
}
