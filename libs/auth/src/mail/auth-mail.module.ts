import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuthToken } from '../entities/auth-token.entity';
import { MailTokens } from './mail-tokens';
import { Mailer } from './mailer';
import { SendMailJob } from './send-mail.job';

/**
 * Outgoing mail and its job handler. Every process that runs jobs imports it (the API via
 * AuthModule, and the worker), since any of them may claim a mail job.
 */
@Module({
  imports: [TypeOrmModule.forFeature([AuthToken])],
  providers: [Mailer, SendMailJob, MailTokens],
  exports: [SendMailJob, MailTokens],
})
export class AuthMailModule {}
