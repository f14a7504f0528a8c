export * from './auth.module';
export * from './entities/refresh-token.entity';
export * from './events/user-registered.event';
export * from './tokens.service';
export * from './dto/auth.dto';
export * from './entities/session.entity';
export * from './entities/api-key.entity';
