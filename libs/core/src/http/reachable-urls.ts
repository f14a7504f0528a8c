import { networkInterfaces } from 'node:os';

/**
 * The URLs a server bound to `host:port` answers on: for an unspecified address
 * (`0.0.0.0`, `::`) one per local interface address, localhost first.
 */
export function reachableUrls(host: string, port: number): string[] {
  const url = (address: string) =>
    `http://${address.includes(':') ? `[${address}]` : address}:${port}`;
  if (host !== '0.0.0.0' && host !== '::') return [url(host)];
  const addresses = Object.values(networkInterfaces())
    .flatMap((list) => list ?? [])
    .filter((a) => host === '::' || a.family === 'IPv4')
    .map((a) => a.address);
  return [`http://localhost:${port}`, ...addresses.map(url)];
}
