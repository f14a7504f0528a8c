import { BlockList, isIP } from 'node:net';
import { bareAddress, reservedRangeOf } from './reserved-addresses';

export interface EgressPolicy {
  /** Hosts / IPs / CIDRs allowed although private/loopback (WEBHOOK_ALLOW_HOSTS). */
  allow: readonly string[];
  /** Allow http: targets (default: only outside NODE_ENV=production, or when WEBHOOK_ALLOW_HTTP=true). */
  allowHttp: boolean;
}

export interface EgressPolicyEnv {
  WEBHOOK_ALLOW_HOSTS?: string;
  WEBHOOK_ALLOW_HTTP?: string;
  NODE_ENV?: string;
}

/**
 * The policy from the raw settings. A bad value throws an Error whose message starts with the
 * variable's name, so configuration can report it at start.
 */
export function parseEgressPolicy(env: EgressPolicyEnv): EgressPolicy {
  const allow = (env.WEBHOOK_ALLOW_HOSTS ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => {
      const normalized = normalizeAllowEntry(entry);
      if (normalized === null) {
        throw new Error(
          `WEBHOOK_ALLOW_HOSTS: "${entry}" is not a host name, an IP address or a CIDR (comma-separated list)`,
        );
      }
      return normalized;
    });
  return { allow, allowHttp: parseAllowHttp(env) };
}

function parseAllowHttp(env: EgressPolicyEnv): boolean {
  const value = env.WEBHOOK_ALLOW_HTTP?.trim().toLowerCase();
  if (value === undefined || value === '') return env.NODE_ENV !== 'production';
  if (['true', '1', 'yes'].includes(value)) return true;
  if (['false', '0', 'no'].includes(value)) return false;
  throw new Error(`WEBHOOK_ALLOW_HTTP: must be true or false (got "${env.WEBHOOK_ALLOW_HTTP}")`);
}

/** An allowlist entry in the form it is compared in (lower-case host, bare IP, CIDR), or null. */
function normalizeAllowEntry(entry: string): string | null {
  const slash = entry.indexOf('/');
  if (slash !== -1) {
    const network = bareAddress(entry.slice(0, slash));
    const prefix = entry.slice(slash + 1);
    const family = isIP(network);
    const max = family === 4 ? 32 : 128;
    if (family === 0 || !/^\d{1,3}$/.test(prefix) || Number(prefix) > max) return null;
    return `${network.toLowerCase()}/${Number(prefix)}`;
  }
  const address = bareAddress(entry);
  if (isIP(address)) return address.toLowerCase();
  return hostnameOf(entry);
}

/** The WHATWG form of a host (lower case, punycode, no trailing dot), or null if it is none. */
function hostnameOf(host: string): string | null {
  let url: URL;
  try {
    url = new URL(`http://${host}/`);
  } catch {
    return null;
  }
  if (url.host !== url.hostname || url.username || url.password || url.pathname !== '/') {
    return null;
  }
  return bareAddress(url.hostname).replace(/\.$/, '');
}

interface CompiledAllowlist {
  hosts: ReadonlySet<string>;
  addresses: BlockList;
}

const compiled = new WeakMap<EgressPolicy, CompiledAllowlist>();

function allowlistOf(policy: EgressPolicy): CompiledAllowlist {
  let list = compiled.get(policy);
  if (list) return list;
  const hosts = new Set<string>();
  const addresses = new BlockList();
  for (const raw of policy.allow) {
    const entry = normalizeAllowEntry(raw.trim());
    if (entry === null) continue;
    const [network, prefix] = entry.split('/');
    const family = isIP(network);
    if (family === 0) hosts.add(entry);
    else if (prefix === undefined) addresses.addAddress(network, family === 4 ? 'ipv4' : 'ipv6');
    else addresses.addSubnet(network, Number(prefix), family === 4 ? 'ipv4' : 'ipv6');
  }
  list = { hosts, addresses };
  compiled.set(policy, list);
  return list;
}

/** Whether the allowlist names this host (exactly, case-insensitively). */
export function isAllowlistedHost(hostname: string, policy: EgressPolicy): boolean {
  const host = hostnameOf(hostname);
  return host !== null && allowlistOf(policy).hosts.has(host);
}

/**
 * Why a connection to `address` (resolved for `hostname`) is refused, or null when it may
 * be made: a public address, an allowlisted address or CIDR, or any address of an
 * allowlisted host name.
 */
export function checkAddress(
  address: string,
  hostname: string,
  policy: EgressPolicy,
): string | null {
  const ip = bareAddress(address);
  const range = reservedRangeOf(ip);
  if (range === null || isAllowlistedHost(hostname, policy)) return null;
  const family = isIP(ip);
  if (family !== 0 && allowlistOf(policy).addresses.check(ip, family === 4 ? 'ipv4' : 'ipv6')) {
    return null;
  }
  return `${ip} is ${range === 'not an IP address' ? range : `a ${range} address`} (not in WEBHOOK_ALLOW_HOSTS)`;
}

/**
 * Checks a URL when it is saved: scheme, no credentials, literal IP addresses against the
 * policy. Returns a reason or null. Names are resolved and checked again on every connection.
 */
export function checkTargetUrl(url: string, policy: EgressPolicy): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'not a valid URL';
  }
  if (parsed.protocol !== 'https:' && !(parsed.protocol === 'http:' && policy.allowHttp)) {
    return policy.allowHttp ? 'must be an http or https URL' : 'must be an https URL';
  }
  if (parsed.username || parsed.password) return 'must not contain credentials';
  const host = bareAddress(parsed.hostname).replace(/\.$/, '');
  if (host === '') return 'has no host';
  if (isIP(host)) return checkAddress(host, host, policy);
  if ((host === 'localhost' || host.endsWith('.localhost')) && !isAllowlistedHost(host, policy)) {
    return `${host} is a loopback name (not in WEBHOOK_ALLOW_HOSTS)`;
  }
  return null;
}
