import { decodeCursor, toPage, type Page } from '@keel/core';
import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { InjectRepository } from '@nestjs/typeorm';
import { MoreThan, Repository } from 'typeorm';
import { mapUser, type UserResponseDto } from '../../dto/user-response.dto';
import { User } from '../../entities/user.entity';
import { ListUsersQuery } from './list-users.query';

/** Keyset pages by id: ids are UUIDv7, so this is creation order, and page N costs what page 1 does. */
@QueryHandler(ListUsersQuery)
export class ListUsersHandler implements IQueryHandler<ListUsersQuery> {
  constructor(@InjectRepository(User) private readonly users: Repository<User>) {}

  async execute({ limit, cursor }: ListUsersQuery): Promise<Page<UserResponseDto>> {
    const after = cursor ? (decodeCursor(cursor, ['uuid'])[0] as string) : undefined;
    const rows = await this.users.find({
      where: after ? { id: MoreThan(after) } : {},
      order: { id: 'ASC' },
      take: limit + 1,
    });
    return toPage(rows, limit, mapUser, (u) => [u.id]);
  }
}
