import { UserAccessRevokedEvent } from '@keel/users';
import { Logger } from '@nestjs/common';
import { EventsHandler, type IEventHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { TokensService } from '../tokens.service';

/** A disabled user's refresh tokens are revoked (deleted users lose theirs by cascade). */
@EventsHandler(UserAccessRevokedEvent)
export class RevokeTokensOnAccessRevokedHandler implements IEventHandler<UserAccessRevokedEvent> {
  private readonly logger = new Logger('Auth');

  constructor(
    private readonly dataSource: DataSource,
    private readonly tokens: TokensService,
  ) {}

  async handle(event: UserAccessRevokedEvent): Promise<void> {
    if (event.reason !== 'disabled') return;
    try {
      await this.tokens.revokeAllForUser(this.dataSource.manager, event.userId);
    } catch (error) {
      // The JWT guard and refresh both refuse disabled users, so this is defence in depth.
      this.logger.error({ err: error, userId: event.userId }, 'could not revoke refresh tokens');
    }
  }
}
