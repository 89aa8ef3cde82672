// npm run toolchain:k8s [-- --stack FILE]: builds (or finds cached) everything the cluster lab runs,
// at the versions the stack names; CI runs it on its own so the build's time shows separately.
import { parseArgs } from "util";
import { readStackFile } from "../../components/config/stackFile";
import { ensureToolchain, versionsOf } from "./toolchain";
import { CLUSTER_STACK } from "../config";

const { values } = parseArgs({ options: { stack: { type: "string" } } });
const t0 = Date.now();
ensureToolchain(versionsOf(readStackFile(values.stack ?? CLUSTER_STACK)), (l) => process.stderr.write(`${l}\n`)).then(
    (dirs) => {
        for (const [piece, dir] of Object.entries(dirs)) process.stdout.write(`${piece.padEnd(11)} ${dir}\n`);
        process.stderr.write(`toolchain ready in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
    },
    (e: Error) => {
        process.stderr.write(`${e.message}\n`);
        process.exit(1);
    },
);
