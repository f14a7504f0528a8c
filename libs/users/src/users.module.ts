import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { User } from './entities/user.entity';
import { DeleteUserHandler } from './commands/delete-user/delete-user.handler';
import { UpdateUserHandler } from './commands/update-user/update-user.handler';
import { GetUserHandler } from './queries/get-user/get-user.handler';
import { ListUsersHandler } from './queries/list-users/list-users.handler';
import { UsersController } from './users.controller';
import { UsersService } from './users.service';

@Module({
  imports: [TypeOrmModule.forFeature([User])],
  controllers: [UsersController],
  providers: [UsersService, UpdateUserHandler, DeleteUserHandler, GetUserHandler, ListUsersHandler],
  exports: [UsersService],
})
export class UsersModule {}
