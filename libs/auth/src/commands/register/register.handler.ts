import { mapUser, UsersService, type UserResponseDto } from '@keel/users';
import { Outbox, recordEvent } from '@keel/events';
import { CommandHandler, EventBus, type ICommandHandler } from '@nestjs/cqrs';
import { UserRegisteredEvent } from '../../events/user-registered.event';
import { MailTokens } from '../../mail/mail-tokens';
import { SendMailJob } from '../../mail/send-mail.job';
import { queueVerificationMail } from '../../mail/send-verification';
import { PasswordHasher } from '../../password-hasher';
import { RegisterCommand } from './register.command';

@CommandHandler(RegisterCommand)
export class RegisterHandler implements ICommandHandler<RegisterCommand> {
  constructor(
    private readonly users: UsersService,
    private readonly outbox: Outbox,
    private readonly hasher: PasswordHasher,
    private readonly eventBus: EventBus,
    private readonly tokens: MailTokens,
    private readonly mail: SendMailJob,
  ) {}

  async execute({ input }: RegisterCommand): Promise<UserResponseDto> {
    const passwordHash = await this.hasher.hash(input.password);
    const { user, enqueue } = await this.outbox.transaction(async (tx) => {
      const created = await this.users.create(
        { email: input.email, displayName: input.displayName, passwordHash },
        tx,
      );
      await recordEvent(tx, {
        type: 'user.registered',
        aggregateType: 'user',
        aggregateId: created.id,
        actorId: created.id,
        data: { email: created.email, displayName: created.displayName },
      });
      // The verification mail is a job of this transaction: no account without its mail.
      return {
        user: created,
        enqueue: await queueVerificationMail(tx, this.tokens, this.mail, created),
      };
    });
    await enqueue();
    this.eventBus.publish(new UserRegisteredEvent(user.id, user.email));
    return mapUser(user);
  }
}
