import { authConfig, ServiceUnavailableError, type OidcEnv } from '@keel/core';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import * as oidc from 'openid-client';
import { SsoDisabledError, SsoFailedError } from '../auth.errors';

/** Seconds each request to the provider may take (discovery, token, JWKS, userinfo). */
const PROVIDER_TIMEOUT_SECONDS = 10;

/** OpenID Connect's limit for `sub` (255 ASCII characters); no NUL, which Postgres refuses. */
// eslint-disable-next-line no-control-regex -- NUL is exactly what must be kept out
const SUBJECT = /^[^\u0000]{1,255}$/;
// eslint-disable-next-line no-control-regex -- likewise
const EMAIL = /^(?=.{3,254}$)[^\s@\u0000]+@[^\s@\u0000]+$/;

/** What a sign-in in progress must remember until the callback. */
export interface PendingOidcLogin {
  state: string;
  nonce: string;
  codeVerifier: string;
}

/** The verified identity the provider vouched for. */
export interface OidcIdentity {
  issuer: string;
  subject: string;
  email: string | undefined;
  /** Only `email_verified: true` from the provider counts. */
  emailVerified: boolean;
  name: string | undefined;
}

/**
 * The OpenID Connect relying party, over openid-client: discovery (fetched on first use and
 * kept; the library keeps the JWKS and fetches it again for an unknown `kid`), the
 * authorization URL with state, nonce and PKCE, and the code exchange with every check.
 */
@Injectable()
export class OidcClient {
  private readonly logger = new Logger('Auth');
  private readonly settings: OidcEnv | undefined;
  private configuration: Promise<oidc.Configuration> | undefined;

  constructor(@Inject(authConfig.KEY) cfg: ConfigType<typeof authConfig>) {
    this.settings = cfg.oidc;
  }

  /** A fresh state, nonce and PKCE verifier, and the provider's URL to send the browser to. */
  async start(): Promise<{ url: string; pending: PendingOidcLogin }> {
    const settings = this.enabledSettings();
    const config = await this.discover();
    const pending = {
      state: oidc.randomState(),
      nonce: oidc.randomNonce(),
      codeVerifier: oidc.randomPKCECodeVerifier(),
    };
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: settings.redirectUri,
      scope: settings.scopes,
      response_type: 'code',
      state: pending.state,
      nonce: pending.nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(pending.codeVerifier),
      code_challenge_method: 'S256',
    });
    return { url: url.href, pending };
  }

  /**
   * Exchanges the code from the callback's query and checks the answer: state, PKCE, and the
   * ID token's signature (against the provider's JWKS), issuer, audience, expiry and nonce.
   * The email claims come from the ID token, or from userinfo when the ID token has none.
   */
  async finish(callbackQuery: string, pending: PendingOidcLogin): Promise<OidcIdentity> {
    const settings = this.enabledSettings();
    const config = await this.discover();
    const callbackUrl = new URL(settings.redirectUri);
    callbackUrl.search = callbackQuery;
    const tokens = await this.call(() =>
      oidc.authorizationCodeGrant(config, callbackUrl, {
        pkceCodeVerifier: pending.codeVerifier,
        expectedState: pending.state,
        expectedNonce: pending.nonce,
        idTokenExpected: true,
      }),
    );
    const idToken = tokens.claims();
    if (!idToken) throw new SsoFailedError();
    let claims: Record<string, unknown> = idToken;
    if (idToken.email === undefined && config.serverMetadata().userinfo_endpoint) {
      claims = await this.call(() => oidc.fetchUserInfo(config, tokens.access_token, idToken.sub));
    }
    // Signed by the provider, but still input: kept to what the columns can hold.
    if (!SUBJECT.test(idToken.sub)) throw new SsoFailedError();
    const { email, name } = claims;
    return {
      issuer: idToken.iss,
      subject: idToken.sub,
      email: typeof email === 'string' && EMAIL.test(email) ? email : undefined,
      emailVerified: claims.email_verified === true,
      name: typeof name === 'string' ? name.replaceAll('\u0000', '') : undefined,
    };
  }

  /** Where the provider sends the browser back: `PUBLIC_URL` + `/v1/auth/oidc/callback`. */
  get redirectUri(): string {
    return this.enabledSettings().redirectUri;
  }

  /** Refuses with a 404 problem when single sign-on is not configured. */
  assertEnabled(): void {
    this.enabledSettings();
  }

  private enabledSettings(): OidcEnv {
    if (!this.settings) throw new SsoDisabledError();
    return this.settings;
  }

  /** The provider's configuration, discovered once; a failed discovery is tried again next time. */
  private discover(): Promise<oidc.Configuration> {
    const settings = this.enabledSettings();
    this.configuration ??= this.call(() =>
      oidc.discovery(
        new URL(settings.issuer),
        settings.clientId,
        undefined,
        oidc.ClientSecretBasic(settings.clientSecret),
        {
          timeout: PROVIDER_TIMEOUT_SECONDS,
          execute: [
            // Signature checks are optional for ID tokens from the token endpoint (TLS vouches
            // for them); Keel checks them anyway, against the provider's JWKS.
            oidc.enableNonRepudiationChecks,
            ...(settings.allowHttp ? [oidc.allowInsecureRequests] : []),
          ],
        },
      ),
    ).catch((error: unknown) => {
      this.configuration = undefined;
      throw error;
    });
    return this.configuration;
  }

  /** Maps the library's failures: the provider unreachable is a 503, a failed check a 401. */
  private async call<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      if (unreachable(error)) {
        this.logger.warn({ err: error }, 'the OpenID Connect provider is unreachable');
        throw new ServiceUnavailableError(
          'The identity provider did not answer. Try again shortly.',
        );
      }
      this.logger.warn({ err: error }, 'an OpenID Connect sign-in failed a check');
      if (error instanceof oidc.AuthorizationResponseError)
        throw new SsoFailedError(`The identity provider refused the sign-in (${error.error}).`);
      throw new SsoFailedError();
    }
  }
}

/** A network failure or timeout, or an answer that is no OAuth answer (a 5xx page). */
function unreachable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  // Told by name, not by class: fetch's errors may come from another realm (a test runner's
  // VM context), where `instanceof TypeError` is false.
  const { name, cause } = error as { name?: unknown; cause?: unknown };
  if (name === 'TypeError' && cause !== undefined) return true; // fetch failed
  if (name === 'TimeoutError' || name === 'AbortError') return true;
  if (!(error instanceof oidc.ClientError)) return false;
  // The grants wrap a failed fetch in a ClientError without a code ("something went wrong").
  if (error.code === undefined) return unreachable(cause);
  return ['OAUTH_RESPONSE_IS_NOT_CONFORM', 'OAUTH_RESPONSE_IS_NOT_JSON'].includes(error.code);
}
