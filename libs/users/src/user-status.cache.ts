import { authConfig, databaseConfig, type Role } from '@keel/core';
import { AggregateCache, EventDispatcher, EventTransport } from '@keel/events';
import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { User } from './entities/user.entity';

/** What the per-request access check needs of an account. */
export interface UserStatus {
  id: string;
  email: string;
  roles: Role[];
  disabled: boolean;
}

/**
 * Account status by user id, kept in this process so that an authenticated request does not
 * read the users table. Every change to a user records a `user.*` outbox event, which drops
 * the entry on every process; commands that change access (roles, disabled, delete) call
 * `forget` after their commit and await `settled` before answering (see AggregateCache for
 * the guarantee).
 */
@Injectable()
export class UserStatusCache extends AggregateCache<UserStatus> {
  constructor(
    @InjectRepository(User) private readonly users: Repository<User>,
    dispatcher: EventDispatcher,
    transport: EventTransport,
    @Inject(authConfig.KEY) auth: ConfigType<typeof authConfig>,
    @Inject(databaseConfig.KEY) database: ConfigType<typeof databaseConfig>,
  ) {
    super(dispatcher, transport, {
      aggregateType: 'user',
      ttlMs: auth.userStatusTtlMs,
      // Embedded: this process owns its database, every write is its own.
      shared: database.url !== undefined,
    });
  }

  protected async read(id: string): Promise<UserStatus | null> {
    const user = await this.users.findOne({
      where: { id },
      select: { id: true, email: true, roles: true, disabled: true },
    });
    return user && { id: user.id, email: user.email, roles: user.roles, disabled: user.disabled };
  }
}
