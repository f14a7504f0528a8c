import { type DynamicModule, Module } from '@nestjs/common';
import { CliSettings } from './cli-settings';
import { ExportCommand } from './commands/export.command';
import { ImportCommand } from './commands/import.command';
import {
  MigrateCommand,
  MigrateDownCommand,
  MigrateStatusCommand,
  MigrateUpCommand,
} from './commands/migrate.command';
import { OpenApiCommand } from './commands/openapi.command';
import { SeedCommand } from './commands/seed.command';
import { UsageExitCodes } from './exit-codes';
import { UsersCommand, UsersCreateCommand, UsersDisableCommand } from './commands/users.command';

/**
 * The `keel` commands. This module holds only them: Keel itself (database, features) is
 * started by the command that runs, with the settings it needs (see keel-context.ts), so
 * `keel --help` and a mistyped line never start a database.
 */
@Module({})
export class CliModule {
  static register(settings: CliSettings): DynamicModule {
    return {
      module: CliModule,
      providers: [
        { provide: CliSettings, useValue: settings },
        UsageExitCodes,
        MigrateCommand,
        MigrateUpCommand,
        MigrateDownCommand,
        MigrateStatusCommand,
        UsersCommand,
        UsersCreateCommand,
        UsersDisableCommand,
        ImportCommand,
        ExportCommand,
        SeedCommand,
        OpenApiCommand,
      ],
    };
  }
}
