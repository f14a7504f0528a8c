import { applyDecorators } from '@nestjs/common';
import {
  ApiExtension,
  ApiExtraModels,
  ApiResponse,
  getSchemaPath,
  type HeaderObject,
  type OpenAPIObject,
  type ReferenceObject,
} from '@nestjs/swagger';
import { STATUS_CODES } from 'node:http';
import { PROBLEM_CONTENT_TYPE, ProblemDto, problemExample } from '../errors/problem';

const RETRY_AFTER: HeaderObject = {
  description: 'Seconds to wait before trying again.',
  schema: { type: 'integer' },
};

/** Headers the server sets on a problem of this status, whatever the route. */
const PROBLEM_HEADERS: Partial<Record<number, Record<string, HeaderObject>>> = {
  401: {
    'WWW-Authenticate': {
      description: 'The Bearer challenge, when the access token is missing or not valid.',
      schema: { type: 'string' },
    },
  },
  429: { 'Retry-After': RETRY_AFTER },
  503: { 'Retry-After': RETRY_AFTER },
};

/** Documents the problem+json responses an operation can give, besides the default 500. */
export function ApiProblems(...statuses: number[]): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiExtraModels(ProblemDto),
    ...[...statuses, 500].map((status) =>
      ApiResponse({
        status,
        description: STATUS_CODES[status],
        headers: PROBLEM_HEADERS[status],
        content: {
          [PROBLEM_CONTENT_TYPE]: {
            schema: { $ref: getSchemaPath(ProblemDto) },
            example: problemExample(status),
          },
        },
      }),
    ),
  );
}

const HEADER_EXTENSION = 'x-keel-response-header-';

interface DeclaredHeader {
  name: string;
  description: string;
  /** The statuses that carry it; all 2xx when absent. */
  statuses?: number[];
}

/**
 * Documents a header the server sets on this operation's responses (2xx unless `statuses`
 * says otherwise). Nest's `@ApiResponse` would replace the whole response of that status,
 * which the operation declares elsewhere, so the header travels as an extension that
 * `documentResponseHeaders` moves into the responses.
 */
export function ApiResponseHeader(
  name: string,
  description: string,
  statuses?: number[],
): MethodDecorator & ClassDecorator {
  const declared: DeclaredHeader = { name, description, statuses };
  return ApiExtension(`${HEADER_EXTENSION}${name.toLowerCase()}`, declared);
}

const string = { type: 'string' } as const;
const integer = { type: 'integer' } as const;

/** Set by Fastify hooks on every answer, errors included. */
const EVERY_RESPONSE: Record<string, HeaderObject> = {
  'X-Request-Id': {
    description: 'The request id (yours if it was sane, else generated); quote it in reports.',
    schema: string,
  },
  'X-Response-Time': { description: 'Time spent serving the request, in ms.', schema: string },
  'X-Trace-Id': {
    description:
      'The W3C trace id of this request (yours if you sent a `traceparent`); only when the server exports traces.',
    schema: { type: 'string', pattern: '^[0-9a-f]{32}$' },
  },
};

/** Set by the rate limiter on every answer of a route it guards (one that can answer 429). */
const RATE_LIMITED: Record<string, HeaderObject> = {
  'RateLimit-Limit': { description: 'Requests allowed in the window.', schema: integer },
  'RateLimit-Remaining': { description: 'Requests left in the window.', schema: integer },
  'RateLimit-Reset': { description: 'Seconds until the window resets.', schema: integer },
};

const refsTo = (headers: Record<string, HeaderObject>): Record<string, ReferenceObject> =>
  Object.fromEntries(
    Object.keys(headers).map((name) => [name, { $ref: `#/components/headers/${name}` }]),
  );
const SHARED_REFS = { every: refsTo(EVERY_RESPONSE), rateLimited: refsTo(RATE_LIMITED) };

/**
 * Completes the document's response headers: those every answer carries, the rate limit's on
 * routes that can answer 429, and those declared with `@ApiResponseHeader`.
 */
export function documentResponseHeaders(document: OpenAPIObject): OpenAPIObject {
  // Defined once and referenced from each response, not copied into every one of them.
  document.components = {
    ...document.components,
    headers: { ...document.components?.headers, ...EVERY_RESPONSE, ...RATE_LIMITED },
  };
  for (const path of Object.values(document.paths)) {
    for (const method of ['get', 'put', 'post', 'delete', 'patch'] as const) {
      const operation = path[method];
      if (!operation) continue;
      const record = operation as unknown as Record<string, unknown>;
      const declared = Object.keys(record)
        .filter((key) => key.startsWith(HEADER_EXTENSION))
        .map((key) => {
          const header = record[key] as DeclaredHeader;
          delete record[key];
          return header;
        });
      const rateLimited = '429' in operation.responses;
      for (const [status, response] of Object.entries(operation.responses)) {
        if (!response || '$ref' in response) continue;
        const code = Number(status);
        const own = declared.filter((h) =>
          h.statuses ? h.statuses.includes(code) : code >= 200 && code < 300,
        );
        response.headers = {
          ...SHARED_REFS.every,
          ...(rateLimited ? SHARED_REFS.rateLimited : {}),
          ...Object.fromEntries(
            own.map((h) => [h.name, { description: h.description, schema: string }]),
          ),
          ...response.headers,
        };
      }
    }
  }
  return document;
}
