// A tiny authoritative DNS server over UDP for datapath tests: the "internet's" resolver that the
// gateway's DNS64 resolver forwards to. Answers A and AAAA from a table, NODATA with an SOA for a
// known name without that type, NXDOMAIN otherwise. Runs as its own process in a namespace:
//   node -r ts-node/register/transpile-only miniDns.ts <listen address> <zone> <json table>
import * as dgram from "dgram";
import * as ipaddr from "ipaddr.js";

export type Table = Record<string, { A?: string; AAAA?: string }>;

const TYPES: Record<number, "A" | "AAAA"> = { 1: "A", 28: "AAAA" };

function readName(msg: Buffer, at: number): { name: string; next: number } {
    const labels: string[] = [];
    let i = at;
    while (msg[i] !== 0) {
        labels.push(msg.subarray(i + 1, i + 1 + msg[i]).toString("ascii"));
        i += msg[i] + 1;
    }
    return { name: labels.join(".").toLowerCase(), next: i + 1 };
}

function encodeName(name: string): Buffer {
    const parts = name.split(".").filter((p) => p !== "");
    return Buffer.concat([...parts.map((p) => Buffer.concat([Buffer.from([p.length]), Buffer.from(p, "ascii")])), Buffer.from([0])]);
}

function rr(name: string, type: number, ttl: number, rdata: Buffer): Buffer {
    const head = Buffer.alloc(10);
    head.writeUInt16BE(type, 0);
    head.writeUInt16BE(1, 2);
    head.writeUInt32BE(ttl, 4);
    head.writeUInt16BE(rdata.length, 8);
    return Buffer.concat([encodeName(name), head, rdata]);
}

function soa(zone: string): Buffer {
    const nums = Buffer.alloc(20);
    [1, 3600, 600, 86400, 60].forEach((n, i) => nums.writeUInt32BE(n, i * 4));
    return rr(zone, 6, 60, Buffer.concat([encodeName(`ns.${zone}`), encodeName(`hostmaster.${zone}`), nums]));
}

export function answer(query: Buffer, zone: string, table: Table): Buffer {
    const { name, next } = readName(query, 12);
    const qtype = query.readUInt16BE(next);
    const question = query.subarray(12, next + 4);
    const entry = table[name];
    const type = TYPES[qtype];
    const value = entry && type ? entry[type] : undefined;
    const answers = value ? [rr(name, qtype, 60, Buffer.from(ipaddr.parse(value).toByteArray()))] : [];
    const authority = answers.length === 0 ? [soa(zone)] : [];
    const header = Buffer.alloc(12);
    header.writeUInt16BE(query.readUInt16BE(0), 0);
    // QR, AA, RD copied, RA; RCODE 3 (NXDOMAIN) for unknown names.
    header.writeUInt16BE(0x8400 | (query.readUInt16BE(2) & 0x0100) | 0x0080 | (entry ? 0 : 3), 2);
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(answers.length, 6);
    header.writeUInt16BE(authority.length, 8);
    header.writeUInt16BE(0, 10);
    return Buffer.concat([header, question, ...answers, ...authority]);
}

if (require.main === module) {
    const [listen, zone, tableJson] = process.argv.slice(2);
    const table = JSON.parse(tableJson) as Table;
    const socket = dgram.createSocket("udp6");
    socket.on("message", (msg, from) => {
        try {
            socket.send(answer(msg, zone, table), from.port, from.address);
        } catch (e) {
            process.stderr.write(`miniDns: ${(e as Error).message}\n`);
        }
    });
    socket.bind(53, listen, () => process.stdout.write("ready\n"));
}
