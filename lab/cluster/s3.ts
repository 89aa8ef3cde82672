// The lab's S3 store for etcd snapshots (cluster.etcdBackup.s3; production: Hetzner Object Storage
// or any S3-compatible store), on the lab's IPv6 internet: VersityGW, an S3 gateway built from its
// Go module (lab/build-versitygw.sh), serving a directory over HTTPS. It checks every request's
// SigV4 signature against its root credentials, made once per lab; its certificate comes from a
// CA made for the lab (the stack's caCertificate). The stack's credentials (the two secrets the
// applies set) start as the store's; a check may set wrong ones (setStackS3Credentials).
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { hostPort, httpsUrl } from "../../components/common/net";
import { EMPTY_SHA256 } from "../../components/controlplane/render/etcdBackupS3";
import { INET6_LENGTH, INET6_NS, STATE_DIR, UPLINK } from "../config";
import { S3Credentials, setLabS3StackCredentials } from "../engine/labStack";
import { inNs } from "../netns";
import { startDaemon } from "../processes";
import { eventually, run, runSync } from "../run";

export const S3_ADDRESS = "2001:db8:ffff::7";
const S3_PORT = 443;
const DIR = path.join(STATE_DIR, "s3");
const ROOT_CREDENTIALS = path.join(DIR, "root-credentials.json");
const CA = { key: path.join(DIR, "ca.key"), cert: path.join(DIR, "ca.crt") };
const SERVER = { key: path.join(DIR, "server.key"), cert: path.join(DIR, "server.crt") };

/** cluster.etcdBackup.s3 in lab/stacks/cluster.yaml but for the CA (made per lab; writeLabStack adds it). */
export const LAB_S3 = { endpoint: httpsUrl(S3_ADDRESS, S3_PORT), region: "lab", bucket: "v6k8s-lab-etcd", prefix: "lab/" } as const;

export const labS3Ca = (): string => fs.readFileSync(CA.cert, "utf8");

function rootCredentials(): S3Credentials {
    return JSON.parse(fs.readFileSync(ROOT_CREDENTIALS, "utf8")) as S3Credentials;
}

/** The CA and the server's certificate (an IP SAN for the store's address), made once per lab. */
function makePki(): void {
    if (fs.existsSync(SERVER.cert)) return;
    const cnf = path.join(DIR, "server.cnf");
    fs.writeFileSync(
        cnf,
        `[req]\ndistinguished_name = dn\n[dn]\n[ext]\nsubjectAltName = IP:${S3_ADDRESS}\nbasicConstraints = CA:FALSE\nextendedKeyUsage = serverAuth\n`,
    );
    const ossl = (args: string[]) => runSync(["openssl", ...args], { timeoutMs: 60_000 });
    ossl(
        ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", CA.key, "-out", CA.cert].concat([
            "-days",
            "30",
            "-subj",
            "/CN=v6k8s lab S3 CA",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
        ]),
    );
    ossl(
        [
            "req",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            SERVER.key,
            "-out",
            `${SERVER.cert}.csr`,
        ].concat(["-subj", "/CN=v6k8s lab S3", "-config", cnf]),
    );
    ossl(
        ["x509", "-req", "-in", `${SERVER.cert}.csr`, "-CA", CA.cert, "-CAkey", CA.key, "-CAcreateserial", "-days", "30"].concat([
            "-extfile",
            cnf,
            "-extensions",
            "ext",
            "-out",
            SERVER.cert,
        ]),
    );
}

/** A signed request to the store from the lab's internet (curl's SigV4, the credentials from a 0600 config file). */
export async function s3Request(args: readonly string[], where: string, credentials = rootCredentials()) {
    const auth = path.join(DIR, `curl-${process.pid}-${randomBytes(4).toString("hex")}.conf`);
    fs.writeFileSync(auth, `user = "${credentials.accessKey}:${credentials.secretKey}"\n`, { mode: 0o600 });
    try {
        return await run(
            inNs(INET6_NS, [
                "curl",
                "--silent",
                "--show-error",
                "--fail-with-body",
                "--cacert",
                CA.cert,
                "--aws-sigv4",
                `aws:amz:${LAB_S3.region}:s3`,
                "--config",
                auth,
                "-H",
                `x-amz-content-sha256: ${EMPTY_SHA256}`,
                ...args,
                `${LAB_S3.endpoint}/${LAB_S3.bucket}${where}`,
            ]),
            { allowFail: true, timeoutMs: 120_000 },
        );
    } finally {
        fs.rmSync(auth, { force: true });
    }
}

/** The bucket's keys under `prefix` with their sizes (one listing page: the lab keeps few). */
export async function s3Objects(prefix: string): Promise<{ key: string; size: number }[]> {
    const r = await s3Request([], `?list-type=2&prefix=${encodeURIComponent(prefix)}`);
    if (r.code !== 0) throw new Error(`lab: listing s3://${LAB_S3.bucket}/${prefix} failed: ${r.stdout}${r.stderr}`);
    return [...r.stdout.matchAll(/<Contents>[\s\S]*?<Key>([^<]*)<\/Key>[\s\S]*?<Size>(\d+)<\/Size>[\s\S]*?<\/Contents>/g)].map((m) => ({
        key: m[1],
        size: Number(m[2]),
    }));
}

/** Starts the store on the lab's IPv6 internet with an empty bucket; the stack's credentials are the store's. */
export async function startS3Store(log: (l: string) => void): Promise<void> {
    const bin = path.join(process.env.V6K8S_LAB_CACHE ?? path.join(os.homedir(), ".cache", "v6k8s"), "versitygw-v1.8.0", "versitygw");
    if (!fs.existsSync(bin)) throw new Error(`lab: ${bin} is missing: bash lab/build-versitygw.sh (lab/install-deps.sh runs it)`);
    fs.mkdirSync(path.join(DIR, "data"), { recursive: true, mode: 0o700 });
    fs.mkdirSync(path.join(DIR, "meta"), { recursive: true, mode: 0o700 });
    if (!fs.existsSync(ROOT_CREDENTIALS)) {
        const root = { accessKey: `LAB${randomBytes(8).toString("hex").toUpperCase()}`, secretKey: randomBytes(24).toString("base64url") };
        fs.writeFileSync(ROOT_CREDENTIALS, JSON.stringify(root), { mode: 0o600 });
    }
    setLabS3StackCredentials(rootCredentials());
    makePki();
    const has = (await run(["ip", "-n", INET6_NS, "-6", "addr", "show", "dev", UPLINK])).stdout.includes(`${S3_ADDRESS}/`);
    if (!has) await run(["ip", "-n", INET6_NS, "-6", "addr", "add", `${S3_ADDRESS}/${INET6_LENGTH}`, "dev", UPLINK, "nodad"]);
    const root = rootCredentials();
    // The credentials in its environment, not on its command line.
    startDaemon(
        "inet6-s3",
        inNs(INET6_NS, [
            bin,
            "--port",
            hostPort(S3_ADDRESS, S3_PORT),
            "--cert",
            SERVER.cert,
            "--key",
            SERVER.key,
            "--region",
            LAB_S3.region,
            "posix",
            "--sidecar",
            path.join(DIR, "meta"),
            path.join(DIR, "data"),
        ]),
        { ROOT_ACCESS_KEY_ID: root.accessKey, ROOT_SECRET_ACCESS_KEY: root.secretKey },
    );
    let last = "";
    const up = await eventually(
        async () => {
            const r = await s3Request(["-X", "PUT"], "");
            last = `${r.stdout}${r.stderr}`;
            return r.code === 0 || /BucketAlreadyOwnedByYou|BucketAlreadyExists/.test(last);
        },
        30_000,
        500,
    );
    if (!up) throw new Error(`lab: the S3 store at ${LAB_S3.endpoint} did not create its bucket: ${last}`);
    log(`lab: S3 store ${LAB_S3.endpoint}, bucket ${LAB_S3.bucket} (VersityGW)`);
}
