import {
  checkAddress,
  checkTargetUrl,
  parseEgressPolicy,
  type EgressPolicy,
} from './egress-policy';

const strict: EgressPolicy = { allow: [], allowHttp: false };

describe('parseEgressPolicy', () => {
  it('allows nothing private and http outside production by default', () => {
    expect(parseEgressPolicy({})).toEqual({ allow: [], allowHttp: true });
    expect(parseEgressPolicy({ NODE_ENV: 'development' }).allowHttp).toBe(true);
  });

  it('allows only https in production unless WEBHOOK_ALLOW_HTTP says otherwise', () => {
    expect(parseEgressPolicy({ NODE_ENV: 'production' }).allowHttp).toBe(false);
    expect(
      parseEgressPolicy({ NODE_ENV: 'production', WEBHOOK_ALLOW_HTTP: 'true' }).allowHttp,
    ).toBe(true);
    expect(
      parseEgressPolicy({ NODE_ENV: 'development', WEBHOOK_ALLOW_HTTP: 'false' }).allowHttp,
    ).toBe(false);
    expect(parseEgressPolicy({ NODE_ENV: 'production', WEBHOOK_ALLOW_HTTP: 'YES' }).allowHttp).toBe(
      true,
    );
  });

  it('refuses a WEBHOOK_ALLOW_HTTP that is not a boolean, naming the variable', () => {
    expect(() => parseEgressPolicy({ WEBHOOK_ALLOW_HTTP: 'sometimes' })).toThrow(
      /^WEBHOOK_ALLOW_HTTP: must be true or false/,
    );
  });

  it('reads a comma list of hosts, addresses and CIDRs in a normal form', () => {
    const policy = parseEgressPolicy({
      WEBHOOK_ALLOW_HOSTS:
        ' Hooks.Internal.Example. , 127.0.0.1,10.0.0.0/8 ,, [::1], FD00::/8, bücher.example',
    });
    expect(policy.allow).toEqual([
      'hooks.internal.example',
      '127.0.0.1',
      '10.0.0.0/8',
      '::1',
      'fd00::/8',
      'xn--bcher-kva.example',
    ]);
  });

  it.each([
    '10.0.0.0/33',
    '::/129',
    'foo bar',
    'host:8080',
    'https://example.com',
    'user@host',
    '10.0.0.0/x',
    '300.1.1.1/8',
  ])('refuses the entry %j, naming the variable', (entry) => {
    expect(() => parseEgressPolicy({ WEBHOOK_ALLOW_HOSTS: `example.com,${entry}` })).toThrow(
      /^WEBHOOK_ALLOW_HOSTS: ".*" is not a host name, an IP address or a CIDR/,
    );
  });
});

describe('checkAddress', () => {
  it('allows public addresses with an empty allowlist', () => {
    expect(checkAddress('93.184.215.14', 'example.com', strict)).toBeNull();
    expect(checkAddress('2606:4700::1', 'example.com', strict)).toBeNull();
  });

  it.each([
    ['127.0.0.1', /127\.0\.0\.1 is a loopback address/],
    ['::1', /::1 is a loopback address/],
    ['::ffff:127.0.0.1', /IPv4-mapped loopback/],
    ['169.254.169.254', /cloud metadata/],
    ['192.168.0.10', /private/],
    ['0.0.0.0', /unspecified/],
    ['::', /unspecified/],
  ])('refuses %s with an empty allowlist, saying why', (address, reason) => {
    expect(checkAddress(address, 'hooks.example', strict)).toMatch(reason);
  });

  it('allows an address the allowlist names, and only that one', () => {
    const policy = parseEgressPolicy({ WEBHOOK_ALLOW_HOSTS: '127.0.0.1' });
    expect(checkAddress('127.0.0.1', '127.0.0.1', policy)).toBeNull();
    expect(checkAddress('::ffff:127.0.0.1', '::ffff:127.0.0.1', policy)).toBeNull();
    expect(checkAddress('127.0.0.2', '127.0.0.2', policy)).not.toBeNull();
    expect(checkAddress('::1', '::1', policy)).not.toBeNull();
  });

  it('allows the addresses inside an allowlisted CIDR, IPv4 and IPv6', () => {
    const policy = parseEgressPolicy({ WEBHOOK_ALLOW_HOSTS: '10.20.0.0/16,fd00:1::/32' });
    expect(checkAddress('10.20.255.1', 'a.example', policy)).toBeNull();
    expect(checkAddress('10.21.0.1', 'a.example', policy)).not.toBeNull();
    expect(checkAddress('fd00:1:ffff::1', 'a.example', policy)).toBeNull();
    expect(checkAddress('fd00:2::1', 'a.example', policy)).not.toBeNull();
    expect(checkAddress('169.254.169.254', 'a.example', policy)).not.toBeNull();
  });

  it('allows any address of an allowlisted host name, matched exactly and case-insensitively', () => {
    const policy = parseEgressPolicy({ WEBHOOK_ALLOW_HOSTS: 'hooks.internal' });
    expect(checkAddress('10.1.2.3', 'hooks.internal', policy)).toBeNull();
    expect(checkAddress('10.1.2.3', 'HOOKS.internal.', policy)).toBeNull();
    expect(checkAddress('10.1.2.3', 'evil.hooks.internal', policy)).not.toBeNull();
    expect(checkAddress('10.1.2.3', 'hooks.internal.evil', policy)).not.toBeNull();
  });

  it('reads a policy made by hand (not through parseEgressPolicy) the same way', () => {
    const policy: EgressPolicy = { allow: ['LOCALHOST', '192.168.0.0/24'], allowHttp: true };
    expect(checkAddress('127.0.0.1', 'localhost', policy)).toBeNull();
    expect(checkAddress('192.168.0.7', 'x.example', policy)).toBeNull();
  });
});

describe('checkTargetUrl', () => {
  const devPolicy: EgressPolicy = { allow: [], allowHttp: true };

  it('accepts a public https URL, and http only when the policy allows it', () => {
    expect(checkTargetUrl('https://hooks.example.com/in?x=1', strict)).toBeNull();
    expect(checkTargetUrl('http://hooks.example.com/in', strict)).toBe('must be an https URL');
    expect(checkTargetUrl('http://hooks.example.com/in', devPolicy)).toBeNull();
  });

  it.each([
    'ftp://example.com/',
    'file:///etc/passwd',
    'gopher://example.com/',
    'javascript:alert(1)',
  ])('refuses the scheme of %s', (url) => {
    expect(checkTargetUrl(url, devPolicy)).toBe('must be an http or https URL');
  });

  it('refuses what is not a URL', () => {
    expect(checkTargetUrl('hooks.example.com/in', devPolicy)).toBe('not a valid URL');
  });

  it.each([
    'https://user:pass@example.com/',
    'https://user@example.com/',
    'https://:pass@example.com/',
  ])('refuses credentials in %s', (url) => {
    expect(checkTargetUrl(url, strict)).toBe('must not contain credentials');
  });

  it.each([
    'https://127.0.0.1/',
    'https://127.1/',
    'https://0x7f.0.0.1/',
    'https://2130706433/',
    'https://017700000001/',
    'https://[::1]/',
    'https://[::ffff:127.0.0.1]/',
    'https://[::ffff:a9fe:a9fe]/latest/meta-data/',
    'https://169.254.169.254/latest/meta-data/',
    'https://10.0.0.1:8443/',
    'https://0.0.0.0/',
    'https://[::]/',
    'https://[fe80::1]/',
    'https://100.64.1.1/',
    'https://localhost/',
    'https://LOCALHOST./',
    'https://api.localhost/',
  ])('refuses %s with an empty allowlist', (url) => {
    expect(checkTargetUrl(url, strict)).toMatch(/not in WEBHOOK_ALLOW_HOSTS/);
  });

  it('accepts a private literal address or localhost when allowlisted', () => {
    const policy = parseEgressPolicy({
      WEBHOOK_ALLOW_HOSTS: '127.0.0.0/8,localhost',
      NODE_ENV: 'production',
    });
    expect(checkTargetUrl('https://127.0.0.1:8443/hook', policy)).toBeNull();
    expect(checkTargetUrl('https://0x7f.1/hook', policy)).toBeNull();
    expect(checkTargetUrl('https://localhost/hook', policy)).toBeNull();
    expect(checkTargetUrl('https://[::1]/hook', policy)).toMatch(/loopback/);
  });

  it('leaves names to the connection-time check (they may resolve anywhere later)', () => {
    expect(checkTargetUrl('https://resolves-to-private.example/', strict)).toBeNull();
  });
});
