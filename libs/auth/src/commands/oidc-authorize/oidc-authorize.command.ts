import { Command } from '@nestjs/cqrs';

export interface OidcAuthorization {
  /** The provider's authorization URL to send the browser to. */
  url: string;
  /** `Set-Cookie` with the state, so the callback is accepted from this browser only. */
  cookie: string;
}

/** A write: stores the sign-in's state, nonce and PKCE verifier until the callback. */
export class OidcAuthorizeCommand extends Command<OidcAuthorization> {}
