import { spawn } from 'node:child_process';
import {
  createSign,
  generateKeyPairSync,
  randomBytes,
  type JsonWebKey,
  type KeyObject,
} from 'node:crypto';
import { createServer, request as httpRequest, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

/** Claims the test provider gives an account (see oidc-provider.mjs). */
export interface ProviderAccount {
  email?: string;
  email_verified?: boolean;
  name?: string;
}

type Claims = Record<string, unknown>;

/** Rewrites the ID token on its way from the provider's token endpoint to Keel. */
export type IdTokenTamper = (token: { header: Claims; payload: Claims }) => {
  header: Claims;
  payload: Claims;
  key: KeyObject;
};

export interface TestOidcProvider {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** The key the provider signs with (its JWKS publishes the public half). */
  signingKey: KeyObject;
  /** The environment that points Keel at this provider. */
  env: (publicUrl: string) => Record<string, string>;
  /** Set to rewrite ID tokens from now on; null passes them through untouched. */
  tamper: IdTokenTamper | null;
  /** The account id the provider's interaction signs in (its `sub`). */
  accountId: (account: ProviderAccount) => string;
  /**
   * Plays the browser at the provider: follows `authorizationUrl` through the interaction,
   * signing `account` in, up to the redirect back to `redirectUri`; answers that URL.
   */
  signIn: (authorizationUrl: string, account: ProviderAccount, redirectUri: string) => Promise<URL>;
  close: () => Promise<void>;
}

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const parse = (part: string) => JSON.parse(Buffer.from(part, 'base64url').toString()) as Claims;

/** Signs a JWT with RS256. */
export function signJwt(header: Claims, payload: Claims, key: KeyObject): string {
  const input = `${b64url(header)}.${b64url(payload)}`;
  const signature = createSign('RSA-SHA256').update(input).sign(key).toString('base64url');
  return `${input}.${signature}`;
}

/**
 * Runs oidc-provider in a child process behind a proxy of the test's own, both on loopback.
 * The issuer is the proxy's URL, so Keel reaches the provider only through it, and the test
 * can rewrite the token endpoint's answer (a wrong nonce, another signing key).
 */
export async function startOidcProvider(redirectUri: string): Promise<TestOidcProvider> {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk: JsonWebKey & { kid: string } = {
    ...privateKey.export({ format: 'jwk' }),
    kid: 'keel-test-provider',
    alg: 'RS256',
    use: 'sig',
  };
  let upstreamPort = 0;
  const proxy = createServer((req, res) => {
    const upstream = httpRequest(
      {
        host: '127.0.0.1',
        port: upstreamPort,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (answer) => {
        if (req.url !== '/token' || !provider.tamper || answer.statusCode !== 200) {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
          return;
        }
        void readJson(answer).then((body) => {
          const [header, payload] = String(body.id_token).split('.');
          const forged = provider.tamper!({ header: parse(header), payload: parse(payload) });
          const text = JSON.stringify({
            ...body,
            id_token: signJwt(forged.header, forged.payload, forged.key),
          });
          res.writeHead(200, {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(text),
          });
          res.end(text);
        });
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  const clientId = 'keel';
  const clientSecret = randomBytes(24).toString('base64url');

  const child = spawn(process.execPath, [join(__dirname, 'oidc-provider.mjs')], {
    env: {
      PATH: process.env.PATH ?? '',
      OIDC_TEST_PROVIDER: JSON.stringify({ issuer, clientId, clientSecret, redirectUri, jwk }),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  upstreamPort = await new Promise<number>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      const port = /listening (\d+)/.exec(chunk.toString())?.[1];
      if (port) resolve(Number(port));
    });
    child.once('exit', (code) =>
      reject(new Error(`test OIDC provider exited (${code}): ${stderr}`)),
    );
  });

  const accountId = (account: ProviderAccount) => b64url(account);

  const provider: TestOidcProvider = {
    issuer,
    clientId,
    clientSecret,
    signingKey: privateKey,
    tamper: null,
    env: (publicUrl) => ({
      OIDC_ISSUER: issuer,
      OIDC_CLIENT_ID: clientId,
      OIDC_CLIENT_SECRET: clientSecret,
      PUBLIC_URL: publicUrl,
    }),
    accountId,
    async signIn(authorizationUrl, account, callbackUri) {
      const cookies = new Map<string, string>();
      let url = new URL(authorizationUrl);
      for (let hop = 0; hop < 10; hop++) {
        if (url.href.startsWith(callbackUri)) return url;
        if (url.origin !== issuer) throw new Error(`unexpected redirect to ${url.href}`);
        const res = await fetch(url, {
          redirect: 'manual',
          headers: { cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; ') },
        });
        for (const cookie of res.headers.getSetCookie()) {
          const [name, ...value] = cookie.split(';')[0].split('=');
          cookies.set(name, value.join('='));
        }
        const location = res.headers.get('location');
        if (!location) throw new Error(`the provider answered ${res.status}: ${await res.text()}`);
        url = new URL(location, url);
        if (url.pathname.startsWith('/interaction/'))
          url.searchParams.set('account', accountId(account));
      }
      throw new Error('too many redirects at the provider');
    },
    close: async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
      proxy.closeAllConnections();
      await new Promise((resolve) => proxy.close(resolve));
    },
  };
  return provider;
}

async function readJson(message: IncomingMessage): Promise<Claims> {
  const chunks: Buffer[] = [];
  for await (const chunk of message) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString()) as Claims;
}
