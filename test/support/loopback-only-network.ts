import dns from 'node:dns';
import net from 'node:net';

/**
 * Keeps a test's traffic on this machine whatever the code under test does: every socket
 * connect in the process (net, tls, undici, …) to anything but a literal loopback address
 * fails before a packet is sent, and so does every system name lookup (but of a literal
 * loopback address). Each refused target
 * is recorded, so a test can assert that its code never tried.
 */
export interface LoopbackOnlyNetwork {
  /** Targets refused so far (`host:port` or the looked-up name). */
  readonly refused: string[];
  /** Every socket target allowed so far (`address:port`). */
  readonly connected: string[];
  restore(): void;
}

export function isLoopbackAddress(host: string): boolean {
  const ip = host.startsWith('[') ? host.slice(1, -1) : host;
  if (net.isIPv4(ip)) return ip.startsWith('127.');
  if (!net.isIPv6(ip)) return false;
  const lower = ip.toLowerCase();
  return lower === '::1' || (lower.startsWith('::ffff:127.') && net.isIPv4(lower.slice(7)));
}

type ConnectArgs = Parameters<net.Socket['connect']>;

export function loopbackOnlyNetwork(): LoopbackOnlyNetwork {
  const refused: string[] = [];
  const connected: string[] = [];
  const originalConnect = net.Socket.prototype.connect;
  const originalLookup = dns.lookup;
  const originalPromisesLookup = dns.promises.lookup;

  net.Socket.prototype.connect = function (this: net.Socket, ...args: unknown[]) {
    // net.connect and tls.connect pass their normalized arguments as one array.
    const first = Array.isArray(args[0]) ? (args[0] as unknown[])[0] : args[0];
    const target =
      typeof first === 'object' && first !== null
        ? (first as { host?: string; port?: number | string; path?: string })
        : typeof first === 'string' && args.length === 1
          ? { path: first }
          : { port: first as number, host: args[1] as string | undefined };
    if (target.path === undefined) {
      const host = target.host ?? 'localhost';
      const where = `${host}:${String(target.port)}`;
      if (!isLoopbackAddress(host)) {
        refused.push(where);
        process.nextTick(() =>
          this.destroy(new Error(`test network: refused to connect to ${where} (not loopback)`)),
        );
        return this;
      }
      connected.push(where);
    }
    return originalConnect.apply(this, args as ConnectArgs);
  };

  const refuseLookup = (hostname: string): Error => {
    refused.push(hostname);
    return Object.assign(new Error(`test network: refused to look up ${hostname}`), {
      code: 'ENOTFOUND',
    });
  };
  // Node looks up literal addresses too (server.listen does); those never leave the machine.
  dns.lookup = function (hostname: string, ...rest: unknown[]) {
    if (isLoopbackAddress(hostname)) {
      return (originalLookup as (...args: unknown[]) => void).call(dns, hostname, ...rest);
    }
    const callback = rest[rest.length - 1] as (err: Error) => void;
    const err = refuseLookup(hostname);
    process.nextTick(() => callback(err));
  } as typeof dns.lookup;
  dns.promises.lookup = ((hostname: string, ...rest: unknown[]) =>
    isLoopbackAddress(hostname)
      ? (originalPromisesLookup as (...args: unknown[]) => Promise<unknown>).call(
          dns.promises,
          hostname,
          ...rest,
        )
      : Promise.reject(refuseLookup(hostname))) as typeof dns.promises.lookup;

  return {
    refused,
    connected,
    restore() {
      net.Socket.prototype.connect = originalConnect;
      dns.lookup = originalLookup;
      dns.promises.lookup = originalPromisesLookup;
    },
  };
}
