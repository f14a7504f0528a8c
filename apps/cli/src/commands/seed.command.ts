import { CreateItemCommand } from '@keel/items';
import { CommandBus } from '@nestjs/cqrs';
import { Command, CommandRunner, Option } from 'nest-commander';
import { UsageError } from '../cli-errors';
import { CliSettings } from '../cli-settings';
import { withKeel } from '../keel-context';
import { KeelAppModule } from '../keel.module';
import { resolveOwner } from '../owner';
import { demoItem } from '../demo-items';

interface SeedOptions {
  items: number;
  owner?: string;
}

/** Enough for a demo; more is an import's job (`keel import`). */
const MAX_ITEMS = 10_000;

@Command({
  name: 'seed',
  description: 'create demo items (through the same command as POST /v1/items)',
})
export class SeedCommand extends CommandRunner {
  constructor(private readonly cli: CliSettings) {
    super();
  }

  @Option({
    flags: '--items <n>',
    description: `how many items (1 to ${MAX_ITEMS})`,
    defaultValue: 50,
  })
  parseItems(value: string): number {
    const n = /^\d+$/.test(value) ? Number(value) : NaN;
    if (!Number.isSafeInteger(n) || n < 1 || n > MAX_ITEMS) {
      throw new UsageError(
        `--items must be a whole number from 1 to ${MAX_ITEMS} (got "${value}")`,
      );
    }
    return n;
  }

  @Option({
    flags: '--owner <email>',
    description: 'who owns the items (default: the first admin)',
  })
  parseOwner(value: string): string {
    return value;
  }

  run(_params: string[], options: SeedOptions): Promise<void> {
    return this.cli.run(() =>
      withKeel(KeelAppModule, { migrate: true, verbose: this.cli.verbose }, async ({ app }) => {
        const owner = await resolveOwner(app, options.owner);
        const commands = app.get(CommandBus);
        for (let i = 0; i < options.items; i++) {
          await commands.execute(new CreateItemCommand(owner, demoItem(i)));
        }
        process.stdout.write(`created ${options.items} items owned by ${owner.email}\n`);
      }),
    );
  }
}
