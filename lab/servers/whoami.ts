// A tiny TCP server for the lab: answers every connection with the address it came from, then
// closes. Stands in for web servers on the internet and for services on the hosts (SSH, etcd,
// kubelet, apiserver) whose ports the firewall check probes.
// Usage: node -r ts-node/register/transpile-only lab/servers/whoami.ts <addr>:<port>|[<v6addr>]:<port> ...
import * as net from "net";

function parse(spec: string): { host: string; port: number } {
    const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(spec);
    if (!m) throw new Error(`whoami: bad listen address ${spec}`);
    return { host: m[1], port: Number(m[2]) };
}

async function main(specs: string[]): Promise<void> {
    await Promise.all(
        specs.map(
            (spec) =>
                new Promise<void>((resolve, reject) => {
                    const { host, port } = parse(spec);
                    const server = net.createServer((socket) => {
                        socket.on("error", () => socket.destroy());
                        socket.end(`${socket.remoteAddress?.replace(/^::ffff:/, "") ?? "?"}\n`);
                    });
                    server.on("error", reject);
                    server.listen({ host, port, ipv6Only: host === "::" }, resolve);
                }),
        ),
    );
    process.stdout.write(`ready ${specs.join(" ")}\n`);
}

main(process.argv.slice(2)).catch((e: Error) => {
    process.stderr.write(`whoami: ${e.message}\n`);
    process.exit(1);
});
