import { appConfig, mailConfig } from '@keel/core';
import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createTransport, type Transporter } from 'nodemailer';

export interface OutgoingMail {
  /** Stable per mail (the job's id): a resend after a crash carries the same Message-ID. */
  id: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  /** The links in the mail, logged when mail goes to files. */
  links: string[];
}

/**
 * Sends mail over SMTP (`SMTP_URL`), or, without it, writes each mail as a `.eml` file
 * under `DATA_DIR/mail/` and logs its links, so every flow works on a bare machine.
 */
@Injectable()
export class Mailer implements OnModuleDestroy {
  private readonly logger = new Logger(Mailer.name);
  private readonly transport: Transporter;
  private readonly folder: string | undefined;

  constructor(
    @Inject(mailConfig.KEY) private readonly cfg: ConfigType<typeof mailConfig>,
    @Inject(appConfig.KEY) app: ConfigType<typeof appConfig>,
  ) {
    if (cfg.smtpUrl) {
      // A silent server fails the attempt (the timeouts); the job system retries it later.
      const url = new URL(cfg.smtpUrl);
      for (const [name, ms] of [
        ['connectionTimeout', '10000'],
        ['greetingTimeout', '10000'],
        ['socketTimeout', '30000'],
      ] as const) {
        if (!url.searchParams.has(name)) url.searchParams.set(name, ms);
      }
      this.transport = createTransport(url.toString());
    } else {
      this.folder = join(app.dataDir, 'mail');
      this.transport = createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
    }
  }

  async send(mail: OutgoingMail): Promise<void> {
    const info: { message?: unknown } = await this.transport.sendMail({
      from: this.cfg.from,
      to: mail.to,
      subject: mail.subject,
      text: mail.text,
      html: mail.html,
      messageId: `<${mail.id}@keel>`,
    });
    if (!this.folder) return;
    await mkdir(this.folder, { recursive: true });
    const file = join(this.folder, `${mail.id}.eml`);
    await writeFile(file, info.message as Buffer);
    this.logger.log({ to: mail.to, file, links: mail.links }, 'mail written to a file');
  }

  onModuleDestroy(): void {
    this.transport.close();
  }
}
