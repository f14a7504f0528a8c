import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectCommander } from 'nest-commander';
import { EXIT } from './cli-errors';

/** What commander hands an exit override when it stops on the command line (help included). */
interface CommanderExit {
  exitCode: number;
}

/** The part of a commander command this needs (nest-commander brings its own commander). */
interface CommanderNode {
  readonly commands: readonly CommanderNode[];
  exitOverride(handler: (error: CommanderExit) => void): unknown;
}

/**
 * A wrong command line exits 2 (help exits 0), at every level: nest-commander builds each
 * command on its own, so an override set on the program alone misses `keel users create`'s
 * missing option. Runs once the commands are built, before the line is parsed.
 */
@Injectable()
export class UsageExitCodes implements OnApplicationBootstrap {
  constructor(@InjectCommander() private readonly program: CommanderNode) {}

  onApplicationBootstrap(): void {
    const apply = (command: CommanderNode) => {
      // commander has already written the message (or the help).
      command.exitOverride(({ exitCode }) => process.exit(exitCode === 0 ? EXIT.ok : EXIT.usage));
      command.commands.forEach(apply);
    };
    apply(this.program);
  }
}
