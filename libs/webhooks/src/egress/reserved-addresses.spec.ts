import { embeddedIpv4, reservedRangeOf } from './reserved-addresses';

describe('reservedRangeOf', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['10.0.0.1', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'cloud metadata'],
    ['169.254.1.1', 'link-local'],
    ['100.64.0.1', 'shared address space (CGNAT)'],
    ['100.127.255.255', 'shared address space (CGNAT)'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['240.0.0.1', 'reserved'],
    ['192.0.0.8', 'reserved (IETF protocol assignments)'],
    ['192.0.2.10', 'documentation'],
    ['198.18.0.1', 'reserved (benchmarking)'],
    ['198.51.100.7', 'documentation'],
    ['203.0.113.9', 'documentation'],
  ])('IPv4 %s is %s', (address, range) => {
    expect(reservedRangeOf(address)).toBe(range);
  });

  it.each([
    '8.8.8.8',
    '1.1.1.1',
    '172.15.255.255',
    '172.32.0.0',
    '100.63.255.255',
    '100.128.0.0',
    '11.0.0.1',
    '223.255.255.255',
  ])('IPv4 %s is public', (address) => {
    expect(reservedRangeOf(address)).toBeNull();
  });

  it.each([
    ['::1', 'loopback'],
    ['[::1]', 'loopback'],
    ['::', 'unspecified'],
    ['fc00::1', 'private (unique local)'],
    ['fd12:3456::1', 'private (unique local)'],
    ['fd00:ec2::254', 'cloud metadata'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['febf::1', 'link-local'],
    ['fec0::1', 'site-local'],
    ['ff02::1', 'multicast'],
    ['2001:db8::1', 'documentation'],
    ['2001::1', 'reserved (IETF protocol assignments, Teredo)'],
    ['2002:7f00:1::', 'reserved (6to4)'],
    ['100::1', 'reserved (discard-only)'],
    ['64:ff9b:1::1', 'reserved (local-use NAT64)'],
    ['::7f00:1', 'reserved (IPv4-compatible)'],
    ['4000::1', 'reserved'],
    ['1::1', 'reserved'],
  ])('IPv6 %s is %s', (address, range) => {
    expect(reservedRangeOf(address)).toBe(range);
  });

  it.each(['2606:4700:4700::1111', '2a00:1450:4001:82a::200e', '2600::'])(
    'IPv6 %s is public',
    (address) => {
      expect(reservedRangeOf(address)).toBeNull();
    },
  );

  it.each([
    ['::ffff:127.0.0.1', 'IPv4-mapped loopback'],
    ['::ffff:7f00:1', 'IPv4-mapped loopback'],
    ['::FFFF:A9FE:A9FE', 'IPv4-mapped cloud metadata'],
    ['::ffff:10.1.2.3', 'IPv4-mapped private'],
    ['::ffff:0.0.0.0', 'IPv4-mapped unspecified'],
    ['64:ff9b::a9fe:a9fe', 'NAT64 cloud metadata'],
    ['64:ff9b::192.168.0.1', 'NAT64 private'],
  ])('an IPv6 address carrying IPv4 %s is judged by its IPv4 address: %s', (address, range) => {
    expect(reservedRangeOf(address)).toBe(range);
  });

  it('an IPv4-mapped public address is public', () => {
    expect(reservedRangeOf('::ffff:8.8.8.8')).toBeNull();
    expect(reservedRangeOf('64:ff9b::808:808')).toBeNull();
  });

  it.each(['localhost', '', '127.0.0.1.', '1.2.3', '::ffff:1.2.3.256', 'example.com'])(
    '%j is not an IP address',
    (text) => {
      expect(reservedRangeOf(text)).toBe('not an IP address');
    },
  );
});

describe('embeddedIpv4', () => {
  it.each([
    ['::ffff:7f00:1', '127.0.0.1'],
    ['::ffff:127.0.0.1', '127.0.0.1'],
    ['64:ff9b::c0a8:101', '192.168.1.1'],
    ['0:0:0:0:0:ffff:a9fe:a9fe', '169.254.169.254'],
  ])('%s carries %s', (ipv6, ipv4) => {
    expect(embeddedIpv4(ipv6)).toBe(ipv4);
  });
});
