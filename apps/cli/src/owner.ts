import { authConfig, type AuthUser } from '@keel/core';
import { User, UsersService } from '@keel/users';
import type { INestApplicationContext } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { DataSource } from 'typeorm';
import { CommandFailedError } from './cli-errors';

/**
 * Who owns what a command creates: `--owner`, else the bootstrap admin (ADMIN_EMAIL), else
 * the oldest admin. Items always have an owner, as when created through the API.
 */
export async function resolveOwner(
  app: INestApplicationContext,
  email: string | undefined,
): Promise<AuthUser> {
  const users = app.get(UsersService);
  const named = email ?? app.get<ConfigType<typeof authConfig>>(authConfig.KEY).adminEmail;
  let user: User | null;
  if (named !== undefined) {
    user = await users.findWithPassword({ email: named });
    if (!user) {
      throw new CommandFailedError(
        `no user ${named}: create it first (keel users create --email ${named} --password ...)`,
      );
    }
  } else {
    user = await app
      .get(DataSource)
      .getRepository(User)
      .createQueryBuilder('u')
      .where(`'admin' = ANY(u.roles)`)
      .andWhere('u.disabled = false')
      .orderBy('u.created_at', 'ASC')
      .getOne();
    if (!user) {
      throw new CommandFailedError(
        'no owner: pass --owner <email>, or create an admin first (keel users create --admin ...)',
      );
    }
  }
  if (user.disabled) throw new CommandFailedError(`user ${user.email} is disabled`);
  return { id: user.id, email: user.email, roles: user.roles };
}
