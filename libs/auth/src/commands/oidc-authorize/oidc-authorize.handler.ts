import { uuidv7 } from '@keel/core';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { sha256 } from '../../mfa/totp';
import { stateCookie } from '../../oidc/oidc-browser';
import { OidcClient } from '../../oidc/oidc-client';
import { OidcAuthorizeCommand, type OidcAuthorization } from './oidc-authorize.command';

/** How long the user has at the provider before the callback is refused. */
export const OIDC_LOGIN_TTL_SECONDS = 600;

@CommandHandler(OidcAuthorizeCommand)
export class OidcAuthorizeHandler implements ICommandHandler<OidcAuthorizeCommand> {
  constructor(
    private readonly dataSource: DataSource,
    private readonly oidc: OidcClient,
  ) {}

  async execute(): Promise<OidcAuthorization> {
    const { url, pending } = await this.oidc.start();
    // Kept in the database, not in memory: the callback may reach any replica.
    // The state is stored hashed, as it is what the callback is looked up by.
    await this.dataSource.query(`DELETE FROM oidc_logins WHERE expires_at < now()`);
    await this.dataSource.query(
      `INSERT INTO oidc_logins (id, state_hash, nonce, code_verifier, expires_at)
       VALUES ($1, $2, $3, $4, $5)`,
      [
        uuidv7(),
        sha256(pending.state),
        pending.nonce,
        pending.codeVerifier,
        new Date(Date.now() + OIDC_LOGIN_TTL_SECONDS * 1000),
      ],
    );
    return {
      url,
      cookie: stateCookie(pending.state, this.oidc.redirectUri, OIDC_LOGIN_TTL_SECONDS),
    };
  }
}
