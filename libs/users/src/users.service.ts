import { decodeCursor, toPage, uuidv7, type Page, type Role } from '@keel/core';
import { Injectable } from '@nestjs/common';
import { EventBus } from '@nestjs/cqrs';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, MoreThan, QueryFailedError, Repository } from 'typeorm';
import { mapUser, type UserResponseDto } from './dto/user-response.dto';
import type { UpdateProfileDto, UpdateUserDto } from './dto/update-user.dto';
import { User } from './entities/user.entity';
import { UserAccessRevokedEvent } from './events/user-access-revoked.event';
import { EmailTakenError, SelfLockoutError, UserNotFoundError } from './users.errors';

export interface NewUser {
  email: string;
  displayName: string;
  passwordHash: string;
  roles?: Role[];
}

const UNIQUE_VIOLATION = '23505';

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

@Injectable()
export class UsersService {
  constructor(
    @InjectRepository(User) private readonly users: Repository<User>,
    private readonly eventBus: EventBus,
  ) {}

  /** Inserts a user; pass the transaction's manager to take part in it. */
  async create(input: NewUser, manager: EntityManager = this.users.manager): Promise<User> {
    const user = manager.create(User, {
      id: uuidv7(),
      email: normalizeEmail(input.email),
      displayName: input.displayName.trim(),
      passwordHash: input.passwordHash,
      roles: input.roles ?? ['user'],
      disabled: false,
    });
    try {
      await manager.insert(User, user);
    } catch (error) {
      if (
        error instanceof QueryFailedError &&
        (error.driverError as { code?: string }).code === UNIQUE_VIOLATION
      ) {
        throw new EmailTakenError();
      }
      throw error;
    }
    return manager.findOneByOrFail(User, { id: user.id });
  }

  async findById(id: string): Promise<User | null> {
    return this.users.findOneBy({ id });
  }

  async getById(id: string): Promise<UserResponseDto> {
    const user = await this.findById(id);
    if (!user) throw new UserNotFoundError();
    return mapUser(user);
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

  async list(limit: number, cursor?: string): Promise<Page<UserResponseDto>> {
    const after = cursor ? (decodeCursor(cursor, ['uuid'])[0] as string) : undefined;
    const rows = await this.users.find({
      where: after ? { id: MoreThan(after) } : {},
      order: { id: 'ASC' },
      take: limit + 1,
    });
    return toPage(rows, limit, mapUser, (u) => [u.id]);
  }

  async updateProfile(id: string, dto: UpdateProfileDto): Promise<UserResponseDto> {
    return this.update(id, id, { displayName: dto.displayName });
  }

  async update(actorId: string, id: string, dto: UpdateUserDto): Promise<UserResponseDto> {
    // Only admins reach this with roles or disabled; locking themselves out is refused.
    if (actorId === id && (dto.disabled === true || (dto.roles && !dto.roles.includes('admin')))) {
      throw new SelfLockoutError();
    }
    const user = await this.users.manager.transaction(async (tx) => {
      const current = await tx.findOne(User, {
        where: { id },
        lock: { mode: 'pessimistic_write' },
      });
      if (!current) throw new UserNotFoundError();
      const changes: Partial<User> = {};
      if (dto.displayName !== undefined) changes.displayName = dto.displayName.trim();
      if (dto.roles !== undefined) changes.roles = dto.roles;
      if (dto.disabled !== undefined) changes.disabled = dto.disabled;
      if (Object.keys(changes).length > 0) {
        await tx.update(User, { id }, { ...changes, version: current.version + 1 });
      }
      return tx.findOneByOrFail(User, { id });
    });
    if (dto.disabled === true) this.eventBus.publish(new UserAccessRevokedEvent(id, 'disabled'));
    return mapUser(user);
  }

  async remove(actorId: string, id: string): Promise<void> {
    if (actorId === id) throw new SelfLockoutError();
    const result = await this.users.delete({ id });
    if (!result.affected) throw new UserNotFoundError();
    this.eventBus.publish(new UserAccessRevokedEvent(id, 'deleted'));
  }
}
