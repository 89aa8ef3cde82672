// IPv6 prefix arithmetic. ipaddr.js parses and prints (RFC 5952); BigInt computes.
// No string surgery on hextets anywhere: every derived prefix goes through `subnet`.
import * as ipaddr from "ipaddr.js";

const V6_BITS = 128;
const ALL_ONES = (1n << 128n) - 1n;

export function v6ToBigInt(addr: ipaddr.IPv6): bigint {
    return addr.toByteArray().reduce((acc, byte) => (acc << 8n) | BigInt(byte), 0n);
}

export function bigIntToV6(value: bigint): ipaddr.IPv6 {
    const bytes: number[] = [];
    for (let shift = 120n; shift >= 0n; shift -= 8n) {
        bytes.push(Number((value >> shift) & 0xffn));
    }
    return new ipaddr.IPv6(Array.from({ length: 8 }, (_, i) => (bytes[2 * i] << 8) | bytes[2 * i + 1]));
}

/** Formats a 128-bit value as an RFC 5952 IPv6 address. */
export function formatV6(value: bigint): string {
    return bigIntToV6(value).toRFC5952String();
}

/** An IPv6 prefix: network address (host bits zero) and length. Immutable. */
export class Prefix {
    private constructor(
        readonly network: bigint,
        readonly length: number,
    ) {}

    /** Parses "addr/len". Throws RangeError on bad syntax, IPv4, or host bits set. */
    static parse(text: string): Prefix {
        let parsed: [ipaddr.IPv4 | ipaddr.IPv6, number];
        try {
            parsed = ipaddr.parseCIDR(text.trim());
        } catch {
            throw new RangeError(`"${text}" is not an IPv6 prefix (expected address/length)`);
        }
        const [addr, length] = parsed;
        if (addr.kind() !== "ipv6") {
            throw new RangeError(`"${text}" is an IPv4 prefix, expected IPv6`);
        }
        const value = v6ToBigInt(addr as ipaddr.IPv6);
        const prefix = Prefix.of(value & maskOf(length), length);
        if (prefix.network !== value) {
            throw new RangeError(`"${text}" has host bits set (did you mean ${prefix}?)`);
        }
        return prefix;
    }

    static of(network: bigint, length: number): Prefix {
        if (!Number.isInteger(length) || length < 0 || length > V6_BITS) {
            throw new RangeError(`prefix length ${length} is outside 0..128`);
        }
        if ((network & ~maskOf(length) & ALL_ONES) !== 0n) {
            throw new RangeError(`${formatV6(network)}/${length} has host bits set`);
        }
        return new Prefix(network, length);
    }

    /** Number of addresses, as a BigInt. */
    get size(): bigint {
        return 1n << BigInt(V6_BITS - this.length);
    }

    get last(): bigint {
        return this.network + this.size - 1n;
    }

    /** The `index`-th subnet of length `newLength` inside this prefix. */
    subnet(newLength: number, index: bigint | number): Prefix {
        if (newLength < this.length || newLength > V6_BITS) {
            throw new RangeError(`cannot cut a /${newLength} out of ${this}`);
        }
        const i = BigInt(index);
        const count = 1n << BigInt(newLength - this.length);
        if (i < 0n || i >= count) {
            throw new RangeError(`subnet index ${i} is outside 0..${count - 1n} for /${newLength} in ${this}`);
        }
        return Prefix.of(this.network + i * (1n << BigInt(V6_BITS - newLength)), newLength);
    }

    /** The address at `offset` from the network address. */
    address(offset: bigint | number): bigint {
        const o = BigInt(offset);
        if (o < 0n || o >= this.size) {
            throw new RangeError(`offset ${o} is outside ${this}`);
        }
        return this.network + o;
    }

    /** The enclosing prefix of a shorter length (host bits dropped). */
    widenTo(length: number): Prefix {
        if (length > this.length) {
            throw new RangeError(`cannot widen ${this} to a longer /${length}`);
        }
        return Prefix.of(this.network & maskOf(length), length);
    }

    containsAddress(value: bigint): boolean {
        return value >= this.network && value <= this.last;
    }

    contains(other: Prefix): boolean {
        return other.length >= this.length && this.containsAddress(other.network);
    }

    overlaps(other: Prefix): boolean {
        return this.contains(other) || other.contains(this);
    }

    equals(other: Prefix): boolean {
        return this.network === other.network && this.length === other.length;
    }

    toString(): string {
        return `${formatV6(this.network)}/${this.length}`;
    }
}

function maskOf(length: number): bigint {
    if (length === 0) return 0n;
    return (ALL_ONES << BigInt(V6_BITS - length)) & ALL_ONES;
}

/** Parses a single IPv6 address (no length). Throws RangeError. */
export function parseV6Address(text: string): bigint {
    if (!ipaddr.IPv6.isValid(text.trim())) {
        throw new RangeError(`"${text}" is not an IPv6 address`);
    }
    return v6ToBigInt(ipaddr.IPv6.parse(text.trim()));
}
