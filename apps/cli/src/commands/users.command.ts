import { EndUserSessionsCommand, RegisterCommand, RegisterDto } from '@keel/auth';
import { validateAs, ValidationFailedError } from '@keel/core';
import { UpdateUserCommand, UsersService } from '@keel/users';
import { CommandBus } from '@nestjs/cqrs';
import { Command, CommandRunner, Option, SubCommand } from 'nest-commander';
import { DataSource } from 'typeorm';
import { CommandFailedError, UsageError } from '../cli-errors';
import { CliSettings } from '../cli-settings';
import { withKeel } from '../keel-context';
import { KeelAppModule } from '../keel.module';

interface CreateOptions {
  email?: string;
  password?: string;
  displayName?: string;
  admin?: boolean;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

@SubCommand({
  name: 'create',
  description: 'register a user, as POST /v1/auth/register does (events, verification mail)',
})
export class UsersCreateCommand extends CommandRunner {
  constructor(private readonly cli: CliSettings) {
    super();
  }

  @Option({ flags: '--email <email>', description: 'the sign-in address', required: true })
  parseEmail(value: string): string {
    return value;
  }

  @Option({ flags: '--password <password>', description: '8 to 128 characters', required: true })
  parsePassword(value: string): string {
    return value;
  }

  @Option({
    flags: '--display-name <name>',
    description: 'shown name (default: the address before @)',
  })
  parseDisplayName(value: string): string {
    return value;
  }

  @Option({ flags: '--admin', description: 'give the user the admin role' })
  parseAdmin(): boolean {
    return true;
  }

  run(_params: string[], options: CreateOptions): Promise<void> {
    return this.cli.run(async () => {
      const email = options.email ?? '';
      const input = validateAs(RegisterDto, {
        email,
        password: options.password ?? '',
        displayName: options.displayName ?? email.split('@')[0] ?? email,
      });
      // Checked before the database starts: a typo costs no start-up.
      if (input.errors) throw new ValidationFailedError(input.errors, 'The user is not valid.');
      const dto = input.value;
      await withKeel(
        KeelAppModule,
        { migrate: true, verbose: this.cli.verbose },
        async ({ app }) => {
          const commands = app.get(CommandBus);
          const user = await commands.execute(new RegisterCommand(dto));
          if (options.admin) {
            await commands.execute(
              new UpdateUserCommand(null, user.id, { roles: ['user', 'admin'] }),
            );
            // The operator chose this address, as for the bootstrap admin: REQUIRE_VERIFIED_EMAIL
            // must not lock the new admin out.
            await app
              .get(DataSource)
              .transaction((tx) => app.get(UsersService).markEmailVerified(user.id, tx));
          }
          process.stdout.write(
            `created ${options.admin ? 'admin' : 'user'} ${user.email} (${user.id})\n`,
          );
        },
      );
    });
  }
}

@SubCommand({
  name: 'disable',
  arguments: '<user>',
  argsDescription: { user: 'the email address or id of the user' },
  description: 'disable a user and end their sessions, as an admin does through the API',
})
export class UsersDisableCommand extends CommandRunner {
  constructor(private readonly cli: CliSettings) {
    super();
  }

  run([who]: string[]): Promise<void> {
    return this.cli.run(async () => {
      if (!who) throw new UsageError('users disable needs the email address or id of a user');
      await withKeel(
        KeelAppModule,
        { migrate: true, verbose: this.cli.verbose },
        async ({ app }) => {
          const user = await app
            .get(UsersService)
            .findWithPassword(UUID.test(who) ? { id: who } : { email: who });
          if (!user) throw new CommandFailedError(`no user ${who}`);
          const commands = app.get(CommandBus);
          await commands.execute(new UpdateUserCommand(null, user.id, { disabled: true }));
          await commands.execute(new EndUserSessionsCommand(null, user.id));
          process.stdout.write(`disabled ${user.email} (${user.id}); its sessions are ended\n`);
        },
      );
    });
  }
}

@Command({
  name: 'users',
  description: 'create and disable users',
  subCommands: [UsersCreateCommand, UsersDisableCommand],
})
export class UsersCommand extends CommandRunner {
  constructor(private readonly cli: CliSettings) {
    super();
  }

  run(params: string[]): Promise<void> {
    return this.cli.run(() => {
      throw new UsageError(
        params.length > 0
          ? `unknown users command "${params[0]}": use create or disable`
          : 'users needs a command: create or disable',
      );
    });
  }
}
