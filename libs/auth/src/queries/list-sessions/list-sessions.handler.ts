import { authConfig } from '@keel/core';
import { Inject } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, MoreThan, Repository } from 'typeorm';
import { mapSession, type SessionListDto } from '../../dto/session.dto';
import { Session } from '../../entities/session.entity';
import { ListSessionsQuery } from './list-sessions.query';

/** Sessions not ended whose latest refresh token has not expired, most recently used first. */
@QueryHandler(ListSessionsQuery)
export class ListSessionsHandler implements IQueryHandler<ListSessionsQuery> {
  constructor(
    @InjectRepository(Session) private readonly sessions: Repository<Session>,
    @Inject(authConfig.KEY) private readonly config: ConfigType<typeof authConfig>,
  ) {}

  async execute({ userId, currentId }: ListSessionsQuery): Promise<SessionListDto> {
    const since = new Date(Date.now() - this.config.refreshTokenTtlSeconds * 1000);
    const rows = await this.sessions.find({
      where: { userId, endedAt: IsNull(), lastUsedAt: MoreThan(since) },
      order: { lastUsedAt: 'DESC' },
    });
    return { data: rows.map((row) => mapSession(row, currentId)) };
  }
}
