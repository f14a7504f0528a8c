import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';

/**
 * The browser side of a sign-in: the state travels in the provider's redirect and, in an
 * HttpOnly cookie, with the browser that started it. The callback requires both to match,
 * so a callback link made by someone else (login CSRF) is refused.
 */
const STATE_COOKIE = 'keel_oidc_state';

/** `Set-Cookie` for the state, scoped to the OIDC routes under the redirect URI's path. */
export function stateCookie(state: string, redirectUri: string, maxAgeSeconds: number): string {
  const { protocol, pathname } = new URL(redirectUri);
  const path = pathname.replace(/\/callback$/, '');
  // Lax: sent on the provider's top-level redirect back, not on cross-site subrequests.
  const attributes = [`Path=${path}`, `Max-Age=${maxAgeSeconds}`, 'HttpOnly', 'SameSite=Lax'];
  if (protocol === 'https:') attributes.push('Secure');
  return [`${STATE_COOKIE}=${state}`, ...attributes].join('; ');
}

/** The state cookie this browser sent, if any. */
export const BrowserState = createParamDecorator(
  (_data: unknown, context: ExecutionContext): string | undefined => {
    const header = context.switchToHttp().getRequest<FastifyRequest>().headers.cookie ?? '';
    for (const pair of header.split(';')) {
      const [name, ...value] = pair.trim().split('=');
      if (name === STATE_COOKIE) return value.join('=');
    }
    return undefined;
  },
);

/** The query string exactly as the provider sent it: every parameter goes to the checks. */
export const CallbackQuery = createParamDecorator(
  (_data: unknown, context: ExecutionContext): string => {
    const url = context.switchToHttp().getRequest<FastifyRequest>().url;
    const start = url.indexOf('?');
    return start === -1 ? '' : url.slice(start + 1);
  },
);
