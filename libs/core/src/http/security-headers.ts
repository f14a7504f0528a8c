import helmet, { type HelmetOptions } from 'helmet';
import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * What every API response carries: the OWASP REST Security Cheat Sheet's set. A JSON answer is
 * never a page: it may not be framed, may load nothing if a browser renders it, and is not
 * stored by browsers or shared caches (a client revalidates with `If-None-Match`).
 */
export const API_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'cache-control': 'no-store',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
};

/**
 * helmet's headers for the HTML pages (Swagger UI at /docs), computed once. Keel's policy is
 * the same for every response (no CSP nonces), so running helmet per request, as
 * `@fastify/helmet` does, would only redo this.
 */
export function securityHeaders(options: HelmetOptions): Record<string, string> {
  const headers: Record<string, string> = {};
  const response = {
    setHeader: (name: string, value: string | number) => {
      headers[name.toLowerCase()] = String(value);
    },
    removeHeader: (name: string) => {
      delete headers[name.toLowerCase()];
    },
  };
  let failure: Error | undefined;
  // helmet only sets and removes headers on the response: these stand-ins are all it touches.
  helmet(options)(
    {} as IncomingMessage,
    response as unknown as ServerResponse,
    (error?: unknown) => {
      if (error) failure = error instanceof Error ? error : new Error('helmet failed');
    },
  );
  if (failure) throw failure;
  return headers;
}
