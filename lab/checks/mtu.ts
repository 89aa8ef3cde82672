// Path MTU facts: the pod MTU is the mesh MTU; a ping's payload is that minus IPv6 and ICMPv6 headers.
import { MESH_MTU } from "../../components/hosts/render/hostNet";
import { inNs } from "../netns";
import { run } from "../run";

export const POD_MTU = MESH_MTU;
/** 40 bytes of IPv6 header and 8 of ICMPv6 echo header. */
const ICMPV6_ECHO_OVERHEAD = 48;
export const FULL_PAYLOAD = POD_MTU - ICMPV6_ECHO_OVERHEAD;

/** IPv6 fragments this namespace has created so far (it must create none: nothing is fragmented). */
export async function fragmentsCreated(ns: string): Promise<number> {
    const snmp = (await run(inNs(ns, ["cat", "/proc/net/snmp6"]))).stdout;
    const m = /^Ip6FragCreates\s+(\d+)/m.exec(snmp);
    if (!m) throw new Error(`lab: no Ip6FragCreates in ${ns}'s /proc/net/snmp6`);
    return Number(m[1]);
}
