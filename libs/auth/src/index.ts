export * from './auth.module';
export * from './mail/auth-mail.module';
export * from './entities/refresh-token.entity';
export * from './entities/auth-token.entity';
export * from './events/user-registered.event';
export * from './tokens.service';
export * from './dto/auth.dto';
