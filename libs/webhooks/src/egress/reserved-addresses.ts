import { BlockList, isIPv4, isIPv6 } from 'node:net';

/**
 * Ranges a webhook must never reach unless allowlisted: everything that is not a public
 * unicast address (IANA's IPv4 and IPv6 special-purpose registries). First match names it.
 */
const IPV4_RANGES: ReadonlyArray<readonly [label: string, cidr: string]> = [
  ['cloud metadata', '169.254.169.254/32'],
  ['unspecified', '0.0.0.0/8'],
  ['private', '10.0.0.0/8'],
  ['shared address space (CGNAT)', '100.64.0.0/10'],
  ['loopback', '127.0.0.0/8'],
  ['link-local', '169.254.0.0/16'],
  ['private', '172.16.0.0/12'],
  ['reserved (IETF protocol assignments)', '192.0.0.0/24'],
  ['documentation', '192.0.2.0/24'],
  ['reserved (6to4 relay)', '192.88.99.0/24'],
  ['private', '192.168.0.0/16'],
  ['reserved (benchmarking)', '198.18.0.0/15'],
  ['documentation', '198.51.100.0/24'],
  ['documentation', '203.0.113.0/24'],
  ['multicast', '224.0.0.0/4'],
  ['broadcast', '255.255.255.255/32'],
  ['reserved', '240.0.0.0/4'],
];

const IPV6_RANGES: ReadonlyArray<readonly [label: string, cidr: string]> = [
  ['unspecified', '::/128'],
  ['loopback', '::1/128'],
  ['cloud metadata', 'fd00:ec2::254/128'],
  ['reserved (IPv4-compatible)', '::/96'],
  ['reserved (IPv4-translated)', '::ffff:0:0:0/96'],
  ['reserved (local-use NAT64)', '64:ff9b:1::/48'],
  ['reserved (discard-only)', '100::/64'],
  ['reserved (IETF protocol assignments, Teredo)', '2001::/23'],
  ['documentation', '2001:db8::/32'],
  ['reserved (6to4)', '2002::/16'],
  ['documentation', '3fff::/20'],
  ['reserved (SRv6)', '5f00::/16'],
  ['private (unique local)', 'fc00::/7'],
  ['link-local', 'fe80::/10'],
  ['site-local', 'fec0::/10'],
  ['multicast', 'ff00::/8'],
];

/** Only 2000::/3 holds global unicast IPv6 addresses; the rest is reserved. */
const IPV6_GLOBAL_UNICAST = subnetList('2000::/3', 'ipv6');
/** IPv6 forms that carry an IPv4 address in their last 32 bits and reach it. */
const IPV4_EMBEDDING = [
  ['IPv4-mapped', subnetList('::ffff:0:0/96', 'ipv6')],
  ['NAT64', subnetList('64:ff9b::/96', 'ipv6')],
] as const;

const ipv4Lists = IPV4_RANGES.map(([label, cidr]) => [label, subnetList(cidr, 'ipv4')] as const);
const ipv6Lists = IPV6_RANGES.map(([label, cidr]) => [label, subnetList(cidr, 'ipv6')] as const);

function subnetList(cidr: string, family: 'ipv4' | 'ipv6'): BlockList {
  const [network, prefix] = cidr.split('/');
  const list = new BlockList();
  list.addSubnet(network, Number(prefix), family);
  return list;
}

/** `[::1]` and `fe80::1%eth0` as the bare address `::1`, `fe80::1`. */
export function bareAddress(address: string): string {
  const unbracketed =
    address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  const zone = unbracketed.indexOf('%');
  return zone === -1 ? unbracketed : unbracketed.slice(0, zone);
}

/**
 * Why `address` is not a public unicast address (`"loopback"`, `"private"`, …), or null when
 * it is one. Anything that is not an IP address is `"not an IP address"`.
 */
export function reservedRangeOf(address: string): string | null {
  const ip = bareAddress(address);
  if (isIPv4(ip)) return ipv4Lists.find(([, list]) => list.check(ip, 'ipv4'))?.[0] ?? null;
  if (!isIPv6(ip)) return 'not an IP address';
  for (const [form, list] of IPV4_EMBEDDING) {
    if (list.check(ip, 'ipv6')) {
      const range = reservedRangeOf(embeddedIpv4(ip));
      return range === null ? null : `${form} ${range}`;
    }
  }
  const range = ipv6Lists.find(([, list]) => list.check(ip, 'ipv6'))?.[0];
  if (range !== undefined) return range;
  return IPV6_GLOBAL_UNICAST.check(ip, 'ipv6') ? null : 'reserved';
}

/** The IPv4 address in the last 32 bits of an IPv6 address (`::ffff:7f00:1` → `127.0.0.1`). */
export function embeddedIpv4(ipv6: string): string {
  const words = ipv6Words(ipv6);
  const [high, low] = [words[6], words[7]];
  return [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.');
}

/** The eight 16-bit words of a valid IPv6 address, `::` expanded, a dotted tail converted. */
function ipv6Words(ipv6: string): number[] {
  let text = bareAddress(ipv6);
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number);
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::');
  const parse = (part: string | undefined): number[] =>
    part ? part.split(':').map((word) => parseInt(word, 16)) : [];
  const [front, back] = [parse(head), parse(tail)];
  const gap = tail === undefined ? [] : new Array<number>(8 - front.length - back.length).fill(0);
  return [...front, ...gap, ...back];
}
