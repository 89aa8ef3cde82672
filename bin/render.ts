// npm run render -- --config Pulumi.prod.yaml --out <dir>
// Writes every host's files as they will land on it, under <dir>/<node>/<absolute path>, plus
// <dir>/<node>/COMMANDS with the remote commands in the order they run. No cloud access.
import * as fs from "fs";
import * as path from "path";
import { parseArgs } from "util";
import { ConfigError } from "../components/config/errors";
import { readStackFile } from "../components/config/stackFile";
import { RenderedHost, renderStack } from "../components/offline";
import { CliIo, PROCESS_IO } from "./io";

const USAGE = "usage: npm run render -- --config <Pulumi.<stack>.yaml> --out <dir>";

/** Every file of a host, from all steps. */
export function allFiles(host: RenderedHost): Map<string, { content: string; mode: string }> {
    return new Map([...host.files, ...host.kubernetes, ...host.gateway, ...host.dns]);
}

export function commandsDoc(host: RenderedHost): string {
    const files = [...host.files.keys()].sort();
    const list = (m: ReadonlyMap<string, unknown>) => [...m.keys()].sort().map((f) => `#   ${f}`);
    return [
        `# Remote commands for ${host.net.name}, in order. Values in <angle:brackets> are only known`,
        "# after creation (hcloud addresses, WireGuard public keys made on the hosts).",
        "",
        "## 1. files: write atomically (temp file + rename), base64 in transit; like every step that writes files, it then",
        "##    removes what it wrote before and no longer renders (its list: /var/lib/v6k8s/owned/<step>.list):",
        ...files.filter((f) => !f.endsWith("wg0.conf")).map((f) => `#   ${f}`),
        "## 2. activate:",
        host.commands.activate.trimEnd(),
        "## 3. wireguard-key (stdout = public key; the private key never leaves the host):",
        host.commands.wireguardKey,
        "## 4. mesh: write /etc/wireguard/wg0.conf, then:",
        ...host.commands.mesh.split("\n").filter((l) => l.startsWith("/") || l.startsWith("systemctl")),
        ...(host.gateway.size
            ? ["## 5. NAT64 gateway and DNS64 resolver (IPv4 host): write, then (re)start them:", ...list(host.gateway)]
            : []),
        "## 6. host DNS: write:",
        ...list(host.dns),
        "## 7. Kubernetes (control-plane nodes one at a time, then workers two at a time):",
        "#   preflight (its own step: a refused version changes nothing on the host):",
        host.kubernetesCommands.preflight.trimEnd(),
        `#   pki: this host's certificates and keys travel on stdin, ${host.kubernetesCommands.pkiStdin}: one`,
        '#        "<mode> <path> <base64>" line per file, then "end" (a secret, made by the Pulumi program\'s',
        "#        PKI, never rendered). The command text is fixed, the same on every host:",
        host.kubernetesCommands.pki.trimEnd(),
        "#   files:",
        ...list(host.kubernetes),
        "#   binaries: /usr/local/lib/v6k8s/install-binaries.sh",
        "#   start: /usr/local/lib/v6k8s/start-kubelet.sh",
        ...(host.nat64Cleanup === null
            ? []
            : [
                  "## 8. NAT64 cleanup (no IPv4 here; after every host's DNS and the cluster services): undoes the NAT64 gateway",
                  "##    this host may have been (its files and units, Tayga's TUN); nothing to do on a host that never was one:",
                  host.nat64Cleanup.trimEnd(),
              ]),
        "",
    ].join("\n");
}

/** The CLI; returns the exit code. Exported for tests, which call it in-process. */
export function main(argv: string[], io: CliIo = PROCESS_IO): number {
    let values: { config?: string; out?: string };
    try {
        ({ values } = parseArgs({ args: argv, options: { config: { type: "string" }, out: { type: "string" } } }));
    } catch (e) {
        io.err(`${(e as Error).message}\n${USAGE}\n`);
        return 2;
    }
    if (!values.config || !values.out) {
        io.err(`--config and --out are required\n${USAGE}\n`);
        return 2;
    }
    let hosts: RenderedHost[];
    try {
        hosts = renderStack(readStackFile(values.config));
    } catch (e) {
        if (!(e instanceof ConfigError)) throw e;
        io.err(`${values.config}: ${e.message}\n`);
        return 2;
    }
    for (const host of hosts) {
        const root = path.join(values.out, host.net.name);
        const files = allFiles(host);
        for (const [file, { content, mode }] of files) {
            const target = path.join(root, file);
            fs.mkdirSync(path.dirname(target), { recursive: true });
            fs.writeFileSync(target, content, { mode: parseInt(mode, 8) });
        }
        fs.writeFileSync(path.join(root, "COMMANDS"), commandsDoc(host));
        io.out(`${host.net.name}: ${files.size} files -> ${root}\n`);
    }
    return 0;
}

if (require.main === module) {
    process.exitCode = main(process.argv.slice(2));
}
