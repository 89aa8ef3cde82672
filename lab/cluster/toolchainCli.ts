// npm run toolchain:k8s [-- --stack FILE]: builds (or finds cached) everything the cluster lab runs,
// at the versions the stack names, and the conformance suite of its Kubernetes version (cluster
// check 8b, npm run lab:conformance); CI runs it on its own so the build's time shows separately.
import { parseArgs } from "util";
import { readStackFile } from "../../components/config/stackFile";
import { ensureConformanceSuite, ensureToolchain, versionsOf } from "./toolchain";
import { CLUSTER_STACK } from "../config";

const { values } = parseArgs({ options: { stack: { type: "string" } } });
const t0 = Date.now();
const log = (l: string) => process.stderr.write(`${l}\n`);
const versions = versionsOf(readStackFile(values.stack ?? CLUSTER_STACK));
(async () => ({ ...(await ensureToolchain(versions, log)), conformance: await ensureConformanceSuite(versions.kubernetes, log) }))().then(
    (dirs) => {
        for (const [piece, dir] of Object.entries(dirs)) process.stdout.write(`${piece.padEnd(11)} ${dir}\n`);
        process.stderr.write(`toolchain ready in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
    },
    (e: Error) => {
        process.stderr.write(`${e.message}\n`);
        process.exit(1);
    },
);
