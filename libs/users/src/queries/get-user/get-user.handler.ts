import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { mapUser, type UserResponseDto } from '../../dto/user-response.dto';
import { User } from '../../entities/user.entity';
import { UserNotFoundError } from '../../users.errors';
import { GetUserQuery } from './get-user.query';

@QueryHandler(GetUserQuery)
export class GetUserHandler implements IQueryHandler<GetUserQuery> {
  constructor(@InjectRepository(User) private readonly users: Repository<User>) {}

  async execute({ userId }: GetUserQuery): Promise<UserResponseDto> {
    const user = await this.users.findOneBy({ id: userId });
    if (!user) throw new UserNotFoundError();
    return mapUser(user);
  }
}
