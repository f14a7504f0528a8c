import { createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';

export const ROLES = ['user', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** The signed-in caller, as the JWT guard puts it on the request. */
export interface AuthUser {
  id: string;
  email: string;
  roles: Role[];
  /** The session the access token was issued for (absent for API keys and older tokens). */
  sessionId?: string;
}

export const IS_PUBLIC_KEY = 'keel:public';
export const ROLES_KEY = 'keel:roles';

/** Opts a route out of the global JWT guard. */
export const Public = () => SetMetadata(IS_PUBLIC_KEY, true);

/** Restricts a route to callers holding any of these roles. */
export const Roles = (...roles: Role[]) => SetMetadata(ROLES_KEY, roles);

export const ALLOW_STREAM_TICKET_KEY = 'keel:allow-stream-ticket';
/**
 * Also accepts a short-lived `?ticket=` (from `POST /v1/auth/tickets`) instead of the
 * Authorization header: for browsers' EventSource, which cannot send headers.
 */
export const AllowStreamTicket = () => SetMetadata(ALLOW_STREAM_TICKET_KEY, true);

export const CurrentUser = createParamDecorator(
  (_data: unknown, context: ExecutionContext): AuthUser => {
    const request = context.switchToHttp().getRequest<{ user: AuthUser }>();
    return request.user;
  },
);
