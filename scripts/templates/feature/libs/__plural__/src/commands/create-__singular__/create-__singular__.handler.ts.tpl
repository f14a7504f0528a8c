import { uuidv7 } from '@keel/core';
import { Outbox, recordEvent } from '@keel/events';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { __Singular__ResponseDto } from '../../dto/__singular__.dto';
import { map__Singular__ } from '../../dto/__singular__.mapper';
import { __Singular__ } from '../../entities/__singular__.entity';
import {
  __SINGULAR___AGGREGATE,
  __SINGULAR___CREATED,
  type __Singular__CreatedEvent,
} from '../../events/__singular__-created.event';
import { Create__Singular__Command } from './create-__singular__.command';

/** The row and its `__singular_snake__.created` event commit together, or neither does. */
@CommandHandler(Create__Singular__Command)
export class Create__Singular__Handler implements ICommandHandler<Create__Singular__Command> {
  constructor(private readonly outbox: Outbox) {}

  execute({ actor, input }: Create__Singular__Command): Promise<__Singular__ResponseDto> {
    return this.outbox.transaction(async (tx) => {
      const id = uuidv7();
      await tx.insert(__Singular__, { id, ownerId: actor.id, name: input.name });
      // Read back for the times the database set.
      const created = map__Singular__(await tx.findOneByOrFail(__Singular__, { id }));
      await recordEvent(tx, {
        type: __SINGULAR___CREATED,
        aggregateType: __SINGULAR___AGGREGATE,
        aggregateId: id,
        actorId: actor.id,
        data: { __singularCamel__: created } satisfies __Singular__CreatedEvent,
      });
      return created;
    });
  }
}
