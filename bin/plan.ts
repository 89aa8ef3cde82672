// npm run plan -- --config Pulumi.prod.yaml [--json]
// Prints a stack's address plan without any cloud access. Exit 2 on a bad config.
import { parseArgs } from "util";
import { ConfigError } from "../components/config/errors";
import { readStackFile } from "../components/config/stackFile";
import { AddressPlanJson, planToJson } from "../components/network/plan";
import { planStack } from "../components/config/stackPlan";
import { CliIo, PROCESS_IO } from "./io";

const USAGE = "usage: npm run plan -- --config <Pulumi.<stack>.yaml> [--json]";

export function formatTable(plan: AddressPlanJson): string {
    const header = ["NAME", "INDEX", "ROLES", "ULA", "WIREGUARD", "POD ULA", "GUA", "POD GUA", "NAT64"];
    const rows = plan.nodes.map((n) => [
        n.name,
        String(n.index),
        n.roles.join(","),
        n.ula,
        n.wireguard,
        n.podUla,
        n.gua ?? "(assigned by hcloud)",
        n.podGua ?? "(assigned by hcloud)",
        n.nat64 ?? "-",
    ]);
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    const line = (cells: string[]) =>
        cells
            .map((c, i) => c.padEnd(widths[i]))
            .join("  ")
            .trimEnd();
    return [
        `cluster ULA   ${plan.cluster.ula}`,
        `services      ${plan.cluster.services}`,
        `cluster DNS   ${plan.cluster.dns}`,
        "",
        line(header),
        ...rows.map(line),
    ].join("\n");
}

/** The CLI; returns the exit code. Exported for tests, which call it in-process. */
export function main(argv: string[], io: CliIo = PROCESS_IO): number {
    let values: { config?: string; json?: boolean; help?: boolean };
    try {
        ({ values } = parseArgs({
            args: argv,
            options: { config: { type: "string" }, json: { type: "boolean" }, help: { type: "boolean", short: "h" } },
        }));
    } catch (e) {
        io.err(`${(e as Error).message}\n${USAGE}\n`);
        return 2;
    }
    if (values.help) {
        io.out(`${USAGE}\n`);
        return 0;
    }
    if (!values.config) {
        io.err(`--config is required\n${USAGE}\n`);
        return 2;
    }
    try {
        const plan = planToJson(planStack(readStackFile(values.config)));
        io.out(values.json ? `${JSON.stringify(plan, null, 2)}\n` : `${formatTable(plan)}\n`);
        return 0;
    } catch (e) {
        if (e instanceof ConfigError) {
            io.err(`${values.config}: ${e.message}\n`);
            return 2;
        }
        if ((e as NodeJS.ErrnoException).code === "ENOENT") {
            io.err(`${values.config}: no such file\n`);
            return 2;
        }
        throw e;
    }
}

if (require.main === module) {
    process.exitCode = main(process.argv.slice(2));
}
