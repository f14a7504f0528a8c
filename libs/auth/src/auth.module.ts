import { authConfig } from '@keel/core';
import { UsersModule } from '@keel/users';
import { Module } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { APP_GUARD } from '@nestjs/core';
import { JwtModule } from '@nestjs/jwt';
import { PassportModule } from '@nestjs/passport';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuthController } from './auth.controller';
import { AuthBootstrap } from './auth-bootstrap';
import { AuthPruner } from './auth-pruner';
import { ChangePasswordHandler } from './commands/change-password/change-password.handler';
import { LoginHandler } from './commands/login/login.handler';
import { LogoutHandler } from './commands/logout/logout.handler';
import { RefreshTokensHandler } from './commands/refresh-tokens/refresh-tokens.handler';
import { RegisterHandler } from './commands/register/register.handler';
import { IssueStreamTicketHandler } from './commands/issue-stream-ticket/issue-stream-ticket.handler';
import { ForgotPasswordHandler } from './commands/forgot-password/forgot-password.handler';
import { ResetPasswordHandler } from './commands/reset-password/reset-password.handler';
import { ResendVerificationHandler } from './commands/resend-verification/resend-verification.handler';
import { VerifyEmailHandler } from './commands/verify-email/verify-email.handler';
import { RefreshToken } from './entities/refresh-token.entity';
import { Session } from './entities/session.entity';
import { ApiKey } from './entities/api-key.entity';
import { ApiKeyAuthenticator } from './api-key.authenticator';
import { ApiKeysController } from './api-keys.controller';
import { CreateApiKeyHandler } from './commands/create-api-key/create-api-key.handler';
import { EndOtherSessionsHandler } from './commands/end-other-sessions/end-other-sessions.handler';
import { EndSessionHandler } from './commands/end-session/end-session.handler';
import { EndUserSessionsHandler } from './commands/end-user-sessions/end-user-sessions.handler';
import { RevokeApiKeyHandler } from './commands/revoke-api-key/revoke-api-key.handler';
import { ListApiKeysHandler } from './queries/list-api-keys/list-api-keys.handler';
import { ListSessionsHandler } from './queries/list-sessions/list-sessions.handler';
import { SessionsController, UserSessionsController } from './sessions.controller';
import { RevokeTokensOnAccessRevokedHandler } from './events/user-access-revoked.handler';
import { AuthRateLimitGuard } from './guards/auth-rate-limit.guard';
import { JwtAuthGuard } from './guards/jwt-auth.guard';
import { RolesGuard } from './guards/roles.guard';
import { JwtStrategy } from './jwt.strategy';
import { MfaController } from './mfa/mfa.controller';
import { MfaService } from './mfa/mfa.service';
import { OidcAuthorizeHandler } from './commands/oidc-authorize/oidc-authorize.handler';
import { OidcCallbackHandler } from './commands/oidc-callback/oidc-callback.handler';
import { OidcClient } from './oidc/oidc-client';
import { OidcController } from './oidc/oidc.controller';
import { ConfirmTotpHandler } from './commands/confirm-totp/confirm-totp.handler';
import { DisableTotpHandler } from './commands/disable-totp/disable-totp.handler';
import { EnrolTotpHandler } from './commands/enrol-totp/enrol-totp.handler';
import { RegenerateRecoveryCodesHandler } from './commands/regenerate-recovery-codes/regenerate-recovery-codes.handler';
import { VerifyMfaHandler } from './commands/verify-mfa/verify-mfa.handler';
import { AuthMailModule } from './mail/auth-mail.module';
import { PasswordHasher } from './password-hasher';
import { SessionStatusCache } from './session-status.cache';
import { JWT_ALGORITHM, JWT_AUDIENCE, JWT_ISSUER, TokensService } from './tokens.service';

@Module({
  imports: [
    UsersModule,
    AuthMailModule,
    PassportModule,
    TypeOrmModule.forFeature([RefreshToken, Session, ApiKey]),
    JwtModule.registerAsync({
      inject: [authConfig.KEY],
      useFactory: (config: ConfigType<typeof authConfig>) => ({
        secret: config.jwtSecret,
        signOptions: {
          algorithm: JWT_ALGORITHM,
          issuer: JWT_ISSUER,
          audience: JWT_AUDIENCE,
          expiresIn: config.accessTokenTtlSeconds,
        },
        verifyOptions: { algorithms: [JWT_ALGORITHM], issuer: JWT_ISSUER, audience: JWT_AUDIENCE },
      }),
    }),
  ],
  controllers: [
    AuthController,
    MfaController,
    SessionsController,
    UserSessionsController,
    ApiKeysController,
    OidcController,
  ],
  providers: [
    AuthBootstrap,
    AuthPruner,
    RegisterHandler,
    LoginHandler,
    RefreshTokensHandler,
    LogoutHandler,
    ChangePasswordHandler,
    IssueStreamTicketHandler,
    VerifyEmailHandler,
    ResendVerificationHandler,
    ForgotPasswordHandler,
    ResetPasswordHandler,
    TokensService,
    MfaService,
    OidcClient,
    OidcAuthorizeHandler,
    OidcCallbackHandler,
    EnrolTotpHandler,
    ConfirmTotpHandler,
    VerifyMfaHandler,
    DisableTotpHandler,
    RegenerateRecoveryCodesHandler,
    EndSessionHandler,
    EndOtherSessionsHandler,
    EndUserSessionsHandler,
    ListSessionsHandler,
    CreateApiKeyHandler,
    RevokeApiKeyHandler,
    ListApiKeysHandler,
    ApiKeyAuthenticator,
    PasswordHasher,
    JwtStrategy,
    SessionStatusCache,
    AuthRateLimitGuard,
    RevokeTokensOnAccessRevokedHandler,
    // Order matters: authenticate first, then check roles.
    { provide: APP_GUARD, useClass: JwtAuthGuard },
    { provide: APP_GUARD, useClass: RolesGuard },
  ],
})
export class AuthModule {}
