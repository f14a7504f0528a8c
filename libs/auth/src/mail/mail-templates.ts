/** The mails Keel sends: subject, plain text and HTML, each built from the same values. */
export type MailTemplate = 'email_verification' | 'password_reset';

export interface MailValues {
  displayName: string;
  /** The link the mail asks the reader to follow. */
  link: string;
}

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

/** The client page each mail links to; the token goes in the query string. */
export const MAIL_LINK_PATHS: Record<MailTemplate, string> = {
  email_verification: '/verify-email',
  password_reset: '/reset-password',
};

const TEMPLATES: Record<MailTemplate, (v: MailValues) => RenderedMail> = {
  email_verification: ({ displayName, link }) => ({
    subject: 'Confirm your email address',
    text: [
      `Hello ${displayName},`,
      '',
      'Please confirm your email address by opening this link (it works once, for 24 hours):',
      '',
      link,
      '',
      'If you did not create an account, ignore this mail.',
    ].join('\n'),
    html: page(
      `<p>Hello ${escapeHtml(displayName)},</p>
<p>Please confirm your email address (the link works once, for 24 hours):</p>
<p><a href="${escapeHtml(link)}">Confirm my address</a></p>
<p>If you did not create an account, ignore this mail.</p>`,
    ),
  }),
  password_reset: ({ displayName, link }) => ({
    subject: 'Reset your password',
    text: [
      `Hello ${displayName},`,
      '',
      'Someone asked to reset the password of your account. To choose a new one, open this',
      'link (it works once, for 30 minutes):',
      '',
      link,
      '',
      'If it was not you, ignore this mail: your password stays as it is.',
    ].join('\n'),
    html: page(
      `<p>Hello ${escapeHtml(displayName)},</p>
<p>Someone asked to reset the password of your account. To choose a new one (the link works once, for 30 minutes):</p>
<p><a href="${escapeHtml(link)}">Reset my password</a></p>
<p>If it was not you, ignore this mail: your password stays as it is.</p>`,
    ),
  }),
};

export function renderMail(template: MailTemplate, values: MailValues): RenderedMail {
  return TEMPLATES[template](values);
}

/** `publicUrl` + the template's page + `?token=…`. */
export function mailLink(publicUrl: string, template: MailTemplate, token: string): string {
  return `${publicUrl}${MAIL_LINK_PATHS[template]}?token=${encodeURIComponent(token)}`;
}

function page(body: string): string {
  return `<!doctype html>
<html><body style="font-family: sans-serif; line-height: 1.5">
${body}
</body></html>`;
}

function escapeHtml(value: string): string {
  return value.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );
}
