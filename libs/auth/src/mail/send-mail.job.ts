import { authConfig, mailConfig, TokenSeal, uuidv7 } from '@keel/core';
import { JobFailedError, JobHandlers, Jobs, type JobContext, type JobHandler } from '@keel/jobs';
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { EntityManager } from 'typeorm';
import { mailLink, renderMail, type MailTemplate } from './mail-templates';
import { Mailer } from './mailer';

export const SEND_MAIL_JOB = 'auth.mail';

interface SendMailParams {
  template: MailTemplate;
  to: string;
  displayName: string;
  /** The token, sealed (see TokenSeal): the jobs table never holds it in clear. */
  token: string;
}

export interface MailRequest {
  userId: string;
  template: MailTemplate;
  to: string;
  displayName: string;
  token: string;
}

/**
 * Sends one mail. The job is created in the transaction of the change that asks for the
 * mail (`queue`), so the request never waits on SMTP and a committed change always has its
 * mail; a run that fails on SMTP is retried with the job system's backoff. Each mail is one
 * job row claimed by one run at a time (BullMQ job id = row id; the row is locked when a
 * run starts), and a sent mail is checkpointed, so a retry does not send it again.
 */
@Injectable()
export class SendMailJob implements JobHandler, OnModuleInit {
  readonly type = SEND_MAIL_JOB;
  private readonly seal: TokenSeal;

  constructor(
    private readonly handlers: JobHandlers,
    private readonly jobs: Jobs,
    private readonly mailer: Mailer,
    @Inject(mailConfig.KEY) private readonly cfg: ConfigType<typeof mailConfig>,
    @Inject(authConfig.KEY) auth: ConfigType<typeof authConfig>,
  ) {
    this.seal = new TokenSeal(auth.sealingSecrets);
  }

  onModuleInit(): void {
    this.handlers.register(this);
  }

  /**
   * Adds the mail's job inside `tx`. Returns a function to call after the commit, which
   * hands the job to the queue at once (the reconciler would otherwise find it later).
   */
  async queue(tx: EntityManager, mail: MailRequest): Promise<() => Promise<void>> {
    const params: SendMailParams = {
      template: mail.template,
      to: mail.to,
      displayName: mail.displayName,
      token: this.seal.seal(mail.token),
    };
    const job = await this.jobs.add(tx, {
      id: uuidv7(),
      type: SEND_MAIL_JOB,
      ownerId: mail.userId,
      params,
    });
    return () => this.jobs.enqueue(job);
  }

  async run({ job, commit }: JobContext): Promise<object> {
    if ((job.checkpoint as { sent?: boolean } | null)?.sent) return { sent: true };
    const params = job.params as SendMailParams;
    let token: string;
    try {
      token = this.seal.open(params.token);
    } catch {
      throw new JobFailedError('The mail token cannot be opened (was JWT_SECRET changed?).');
    }
    const link = mailLink(this.cfg.publicUrl, params.template, token);
    const body = renderMail(params.template, { displayName: params.displayName, link });
    await this.mailer.send({ id: job.id, to: params.to, ...body, links: [link] });
    await commit(
      {
        checkpoint: { sent: true },
        progress: 100,
        processed: 1,
        succeeded: 1,
        failed: 0,
        errors: [],
      },
      () => Promise.resolve(),
    );
    return { sent: true };
  }
}
