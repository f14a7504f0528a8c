export * from './users.module';
export * from './users.service';
export * from './user-status.cache';
export * from './users.errors';
export * from './entities/user.entity';
export * from './events/user-access-revoked.event';
export * from './dto/user-response.dto';
export * from './commands/update-user/update-user.command';
