// Issues the cluster's certificate profiles with real keys using the openssl CLI, so tests (and the
// lab's etcd cluster) can check what the profiles mean: chains, key usages, SANs.
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { CA_PROFILES, CertProfile, Signer, Usage } from "../../components/controlplane/pki/profiles";

export interface IssuedPki {
    readonly dir: string;
    ca(signer: Signer): { cert: string; key: string };
    leaf(id: string): { cert: string; key: string };
}

const KEY_USAGE: Partial<Record<Usage, string>> = {
    digital_signature: "digitalSignature",
    key_encipherment: "keyEncipherment",
    cert_signing: "keyCertSign",
};
const EXT_USAGE: Partial<Record<Usage, string>> = { server_auth: "serverAuth", client_auth: "clientAuth" };

function openssl(args: string[]): string {
    return execFileSync("openssl", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

function subject(cn: string, o?: string): string {
    return o ? `/O=${o}/CN=${cn}` : `/CN=${cn}`;
}

const EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];

export function issueWithOpenssl(dir: string, profiles: readonly CertProfile[]): IssuedPki {
    fs.mkdirSync(dir, { recursive: true });
    const file = (id: string, ext: string) => path.join(dir, `${id}.${ext}`);
    for (const ca of CA_PROFILES) {
        openssl([
            "req",
            "-x509",
            ...EC,
            "-keyout",
            file(`ca-${ca.id}`, "key"),
            "-out",
            file(`ca-${ca.id}`, "crt"),
            "-subj",
            subject(ca.commonName),
            "-days",
            "3650",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,digitalSignature,keyEncipherment",
        ]);
    }
    for (const p of profiles) {
        openssl([
            "req",
            "-new",
            ...EC,
            "-keyout",
            file(p.id, "key"),
            "-out",
            file(p.id, "csr"),
            "-subj",
            subject(p.commonName, p.organization),
        ]);
        const san = [...p.dnsNames.map((d) => `DNS:${d}`), ...p.ipAddresses.map((ip) => `IP:${ip}`)];
        const ext = [
            "basicConstraints=critical,CA:FALSE",
            `keyUsage=critical,${p.usages.flatMap((u) => KEY_USAGE[u] ?? []).join(",")}`,
            `extendedKeyUsage=${p.usages.flatMap((u) => EXT_USAGE[u] ?? []).join(",")}`,
            ...(san.length ? [`subjectAltName=${san.join(",")}`] : []),
        ];
        fs.writeFileSync(file(p.id, "ext"), `${ext.join("\n")}\n`);
        openssl([
            "x509",
            "-req",
            "-in",
            file(p.id, "csr"),
            "-CA",
            file(`ca-${p.signer}`, "crt"),
            "-CAkey",
            file(`ca-${p.signer}`, "key"),
            "-CAcreateserial",
            "-out",
            file(p.id, "crt"),
            "-days",
            "365",
            "-extfile",
            file(p.id, "ext"),
        ]);
    }
    return {
        dir,
        ca: (signer) => ({ cert: file(`ca-${signer}`, "crt"), key: file(`ca-${signer}`, "key") }),
        leaf: (id) => ({ cert: file(id, "crt"), key: file(id, "key") }),
    };
}
