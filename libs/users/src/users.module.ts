import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { User } from './entities/user.entity';
import { DeleteUserHandler } from './commands/delete-user/delete-user.handler';
import { UpdateUserHandler } from './commands/update-user/update-user.handler';
import { GetUserHandler } from './queries/get-user/get-user.handler';
import { ListUsersHandler } from './queries/list-users/list-users.handler';
import { UsersController } from './users.controller';
import { UsersService } from './users.service';
import { UserStatusCache } from './user-status.cache';

@Module({
  imports: [TypeOrmModule.forFeature([User])],
  controllers: [UsersController],
  providers: [
    UsersService,
    UserStatusCache,
    UpdateUserHandler,
    DeleteUserHandler,
    GetUserHandler,
    ListUsersHandler,
  ],
  exports: [UsersService, UserStatusCache],
})
export class UsersModule {}
