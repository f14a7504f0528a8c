import { sqlStateOf, uuidv7, type Role } from '@keel/core';
import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, Repository } from 'typeorm';
import { User } from './entities/user.entity';
import { EmailTakenError } from './users.errors';

export interface NewUser {
  email: string;
  displayName: string;
  passwordHash: string;
  roles?: Role[];
  /** Set when the address is known to be the owner's (the bootstrap admin's, set by the operator). */
  emailVerifiedAt?: Date;
}

const UNIQUE_VIOLATION = '23505';

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/**
 * What the auth module needs of users: creating accounts and reading credentials.
 * Requests to the users API go through the command and query buses instead.
 */
@Injectable()
export class UsersService {
  constructor(@InjectRepository(User) private readonly users: Repository<User>) {}

  /** Inserts a user; pass the transaction's manager to take part in it. */
  async create(input: NewUser, manager: EntityManager = this.users.manager): Promise<User> {
    const user = manager.create(User, {
      id: uuidv7(),
      email: normalizeEmail(input.email),
      displayName: input.displayName.trim(),
      passwordHash: input.passwordHash,
      roles: input.roles ?? ['user'],
      disabled: false,
      emailVerifiedAt: input.emailVerifiedAt ?? null,
    });
    try {
      await manager.insert(User, user);
    } catch (error) {
      if (sqlStateOf(error) === UNIQUE_VIOLATION) throw new EmailTakenError();
      throw error;
    }
    return manager.findOneByOrFail(User, { id: user.id });
  }

  /** The user with the password hash, for checking credentials only. */
  async findWithPassword(by: { email: string } | { id: string }): Promise<User | null> {
    const query = this.users.createQueryBuilder('u').addSelect('u.passwordHash');
    const filtered =
      'email' in by
        ? query.where('lower(u.email) = :email', { email: normalizeEmail(by.email) })
        : query.where('u.id = :id', { id: by.id });
    return filtered.getOne();
  }

  async setPasswordHash(id: string, passwordHash: string, manager: EntityManager): Promise<void> {
    await manager.update(User, { id }, { passwordHash });
  }

  /** Records that the user proved the address (kept as first proved). */
  async markEmailVerified(id: string, manager: EntityManager): Promise<void> {
    await manager
      .createQueryBuilder()
      .update(User)
      .set({ emailVerifiedAt: () => 'COALESCE(email_verified_at, now())' })
      .where('id = :id', { id })
      .execute();
  }
}
