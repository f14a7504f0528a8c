import { UsersService } from '@keel/users';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { AccountDisabledError, InvalidCredentialsError } from '../../auth.errors';
import type { TokenResponseDto } from '../../dto/auth.dto';
import { PasswordHasher } from '../../password-hasher';
import { TokensService } from '../../tokens.service';
import { LoginCommand } from './login.command';

@CommandHandler(LoginCommand)
export class LoginHandler implements ICommandHandler<LoginCommand> {
  constructor(
    private readonly dataSource: DataSource,
    private readonly users: UsersService,
    private readonly hasher: PasswordHasher,
    private readonly tokens: TokensService,
  ) {}

  async execute({ credentials }: LoginCommand): Promise<TokenResponseDto> {
    const user = await this.users.findWithPassword({ email: credentials.email });
    // Unknown email and wrong password take the same time and give the same answer.
    const valid = await this.hasher.verify(user?.passwordHash, credentials.password);
    if (!user || !valid) throw new InvalidCredentialsError();
    if (user.disabled) throw new AccountDisabledError();
    return this.tokens.issue(this.dataSource.manager, user.id);
  }
}
