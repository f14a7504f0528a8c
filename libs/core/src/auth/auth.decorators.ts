import {
  applyDecorators,
  createParamDecorator,
  ExecutionContext,
  SetMetadata,
} from '@nestjs/common';
import { ApiBearerAuth, ApiExtension } from '@nestjs/swagger';
import { ApiProblems } from '../http/api-problems.decorator';

export const ROLES = ['user', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** The signed-in caller, as the JWT guard puts it on the request. */
export interface AuthUser {
  id: string;
  email: string;
  roles: Role[];
  /** The session the access token was issued for (absent for API keys and older tokens). */
  sessionId?: string;
  /** Set when the caller is an API key acting for its owner, limited to its scopes. */
  apiKey?: { id: string; scopes: ApiKeyScope[] };
}

export const API_KEY_SCOPES = ['items:read', 'items:write'] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];
export const API_KEY_SCOPE_KEY = 'keel:api-key-scope';
/** The OpenAPI security scheme name of API keys (`Authorization: Bearer keel_…`). */
export const API_KEY_SECURITY = 'api-key';

/**
 * Also accepts an API key holding `scope`. Every other signed-in route refuses API keys
 * (403), so a key never reaches more than its scopes name.
 */
export const AllowApiKey = (scope: ApiKeyScope) =>
  applyDecorators(
    SetMetadata(API_KEY_SCOPE_KEY, scope),
    ApiBearerAuth(API_KEY_SECURITY),
    // 403: a key without this scope; 429: the key's rate limit.
    ApiProblems(403, 429),
  );

export const IS_PUBLIC_KEY = 'keel:public';
export const ROLES_KEY = 'keel:roles';

/** Marks a public operation; the OpenAPI document says `security: []` there (see openapi-document.ts). */
export const PUBLIC_OPERATION_EXTENSION = 'x-keel-public';

/** Opts a route out of the global JWT guard. */
export const Public = () =>
  applyDecorators(SetMetadata(IS_PUBLIC_KEY, true), ApiExtension(PUBLIC_OPERATION_EXTENSION, true));

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
