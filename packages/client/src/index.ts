import createClient, { type Client, type ClientOptions, type Middleware } from 'openapi-fetch';
import type { components, operations, paths } from './schema';

export type { components, operations, paths };
export type { Middleware } from 'openapi-fetch';

/** A client of the Keel API: `client.GET('/v1/items', …)`, typed from its OpenAPI document. */
export type KeelClient = Client<paths>;
/** The document's schemas by name: `Schemas['ItemDto']`. */
export type Schemas = components['schemas'];
/** The RFC 9457 body of every error answer (`error` in a result that failed). */
export type Problem = Schemas['ProblemDto'];

/** Gives the token to send, or nothing for an anonymous call; asked on every request. */
export type TokenSource = () => string | undefined | Promise<string | undefined>;

export interface KeelClientOptions extends ClientOptions {
  /** Where the API answers, e.g. `https://api.example.com` (paths start with `/v1`). */
  baseUrl: string;
  /** The access token (or an API key) sent as `Authorization: Bearer …`. */
  token?: TokenSource;
}

/**
 * A typed client of the Keel API. Each call answers `{ data, error, response }`: `data` on a
 * 2xx, else `error` (a `Problem`); headers such as `ETag` and `Location` are on `response`.
 */
export function createKeelClient({ token, ...options }: KeelClientOptions): KeelClient {
  const client = createClient<paths>(options);
  if (token) client.use(bearerToken(token));
  return client;
}

/**
 * Sends `Authorization: Bearer <token>` when `token()` gives one and the call did not set
 * its own `Authorization` (a refresh or an API key, say).
 */
export function bearerToken(token: TokenSource): Middleware {
  return {
    async onRequest({ request }) {
      const value = await token();
      if (value && !request.headers.has('authorization')) {
        request.headers.set('authorization', `Bearer ${value}`);
      }
      return request;
    },
  };
}
