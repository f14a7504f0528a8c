import { mailLink, renderMail } from './mail-templates';

describe('mail templates', () => {
  it('builds links from the public URL, with the token encoded', () => {
    expect(mailLink('https://app.example.com', 'password_reset', 'a+b/c')).toBe(
      'https://app.example.com/reset-password?token=a%2Bb%2Fc',
    );
  });

  it('puts the link in both bodies and escapes names in the HTML one', () => {
    const link = 'https://app.example.com/verify-email?token=t&x=1';
    const mail = renderMail('email_verification', { displayName: '<b>Ada</b> & co', link });
    expect(mail.text).toContain(link);
    expect(mail.text).toContain('Hello <b>Ada</b> & co,');
    expect(mail.html).toContain('href="https://app.example.com/verify-email?token=t&amp;x=1"');
    expect(mail.html).toContain('Hello &lt;b&gt;Ada&lt;/b&gt; &amp; co,');
    expect(mail.html).not.toContain('<b>Ada</b>');
  });
});
