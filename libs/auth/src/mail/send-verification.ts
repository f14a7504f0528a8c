import { recordEvent } from '@keel/events';
import type { User } from '@keel/users';
import type { EntityManager } from 'typeorm';
import type { MailTokens } from './mail-tokens';
import type { SendMailJob } from './send-mail.job';

/**
 * Issues a verification token for `user` and queues its mail, inside `tx`; records
 * `auth.email_verification_sent`. Returns what to call after the commit.
 */
export async function queueVerificationMail(
  tx: EntityManager,
  tokens: MailTokens,
  mail: SendMailJob,
  user: Pick<User, 'id' | 'email' | 'displayName'>,
): Promise<() => Promise<void>> {
  const token = await tokens.issue(tx, 'email_verification', user.id);
  const enqueue = await mail.queue(tx, {
    userId: user.id,
    template: 'email_verification',
    to: user.email,
    displayName: user.displayName,
    token,
  });
  await recordEvent(tx, {
    type: 'auth.email_verification_sent',
    aggregateType: 'user',
    aggregateId: user.id,
    actorId: user.id,
    data: {},
  });
  return enqueue;
}
