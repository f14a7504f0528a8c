import { migrationStatus, revertLastMigration, runMigrations } from '@keel/database';
import { Command, CommandRunner, SubCommand } from 'nest-commander';
import { DataSource } from 'typeorm';
import { CliSettings } from '../cli-settings';
import { UsageError } from '../cli-errors';
import { withKeel } from '../keel-context';
import { KeelDatabaseModule } from '../keel.module';

/** Migrations run outside the app's start here: `migrate` itself decides what to apply. */
const DATABASE_ONLY = { migrate: false } as const;

@SubCommand({ name: 'up', description: 'apply every pending migration' })
export class MigrateUpCommand extends CommandRunner {
  constructor(private readonly cli: CliSettings) {
    super();
  }

  run(): Promise<void> {
    return this.cli.run(() =>
      withKeel(
        KeelDatabaseModule,
        { ...DATABASE_ONLY, verbose: this.cli.verbose },
        async ({ app }) => {
          const applied = await runMigrations(app.get(DataSource));
          for (const m of applied) process.stdout.write(`applied  ${m.name}\n`);
          if (applied.length === 0) process.stdout.write('up to date: no pending migration\n');
        },
      ),
    );
  }
}

@SubCommand({ name: 'down', description: 'revert the newest applied migration' })
export class MigrateDownCommand extends CommandRunner {
  constructor(private readonly cli: CliSettings) {
    super();
  }

  run(): Promise<void> {
    return this.cli.run(() =>
      withKeel(
        KeelDatabaseModule,
        { ...DATABASE_ONLY, verbose: this.cli.verbose },
        async ({ app }) => {
          const reverted = await revertLastMigration(app.get(DataSource));
          process.stdout.write(
            reverted ? `reverted ${reverted}\n` : 'nothing to revert: no migration is applied\n',
          );
        },
      ),
    );
  }
}

@SubCommand({ name: 'status', description: 'list migrations, applied and pending' })
export class MigrateStatusCommand extends CommandRunner {
  constructor(private readonly cli: CliSettings) {
    super();
  }

  run(): Promise<void> {
    return this.cli.run(() =>
      withKeel(
        KeelDatabaseModule,
        { ...DATABASE_ONLY, verbose: this.cli.verbose },
        async ({ app }) => {
          const status = await migrationStatus(app.get(DataSource));
          for (const m of status)
            process.stdout.write(`${m.applied ? 'applied' : 'pending'}  ${m.name}\n`);
          const pending = status.filter((m) => !m.applied).length;
          process.stdout.write(`${status.length - pending} applied, ${pending} pending\n`);
        },
      ),
    );
  }
}

@Command({
  name: 'migrate',
  description: 'database migrations (the same ones the API applies at start)',
  subCommands: [MigrateUpCommand, MigrateDownCommand, MigrateStatusCommand],
})
export class MigrateCommand extends CommandRunner {
  constructor(private readonly cli: CliSettings) {
    super();
  }

  run(params: string[]): Promise<void> {
    return this.cli.run(() => {
      throw new UsageError(
        params.length > 0
          ? `unknown migrate command "${params[0]}": use up, down or status`
          : 'migrate needs a command: up, down or status',
      );
    });
  }
}
