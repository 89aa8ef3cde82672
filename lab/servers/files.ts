// A static file server for the lab's "release site": GET and HEAD of files under a directory
// (symlinks followed), 404 for anything else. Stands in for dl.k8s.io and GitHub releases, which
// install-binaries.sh reaches through the stack's `releaseBases`.
// Usage: node -r ts-node/register/transpile-only lab/servers/files.ts <dir> [<v6addr>]:<port>
import * as fs from "fs";
import * as http from "http";
import * as path from "path";

function main([dir, spec]: string[]): void {
    const m = /^\[([^\]]+)\]:(\d+)$/.exec(spec ?? "");
    if (!dir || !m) throw new Error("usage: files.ts <dir> [<v6addr>]:<port>");
    const root = fs.realpathSync(dir);
    const server = http.createServer((req, res) => {
        const rel = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
        const file = path.join(root, path.normalize(rel));
        let ok = (req.method === "GET" || req.method === "HEAD") && file.startsWith(`${root}${path.sep}`);
        let size = 0;
        try {
            const st = fs.statSync(file);
            ok &&= st.isFile();
            size = st.size;
        } catch {
            ok = false;
        }
        process.stdout.write(`${req.socket.remoteAddress} ${req.method} ${rel} ${ok ? 200 : 404}\n`);
        if (!ok) {
            res.writeHead(404).end("not found\n");
            return;
        }
        res.writeHead(200, { "content-length": size, "content-type": "application/octet-stream" });
        if (req.method === "HEAD") res.end();
        else fs.createReadStream(file).pipe(res);
    });
    server.listen({ host: m[1], port: Number(m[2]) }, () => process.stdout.write(`ready ${spec}\n`));
}

try {
    main(process.argv.slice(2));
} catch (e) {
    process.stderr.write(`files: ${(e as Error).message}\n`);
    process.exit(1);
}
