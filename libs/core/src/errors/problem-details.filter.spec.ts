import type { ArgumentsHost } from '@nestjs/common';
import { BadRequestException } from '@nestjs/common';
import { QueryFailedError } from 'typeorm';
import { DomainError, ServiceUnavailableError, ValidationFailedError } from './domain-error';
import { ProblemDetailsFilter } from './problem-details.filter';

/** A stand-in for Fastify's reply that records what would be sent (the filter's only output). */
function capture(url = '/v1/things?x=1') {
  const sent: { status?: number; headers: Record<string, string>; body?: Record<string, unknown> } =
    { headers: {} };
  const reply = {
    sent: false,
    header(name: string, value: string) {
      sent.headers[name] = value;
      return reply;
    },
    status(code: number) {
      sent.status = code;
      return reply;
    },
    send(body: Record<string, unknown>) {
      sent.body = body;
      return reply;
    },
  };
  const request = { url, method: 'GET', id: 'req-1', routeOptions: { url: '/v1/things' } };
  const host = {
    switchToHttp: () => ({ getRequest: () => request, getResponse: () => reply }),
  } as unknown as ArgumentsHost;
  return { host, sent };
}

describe('ProblemDetailsFilter', () => {
  const filter = new ProblemDetailsFilter();

  it('hides everything about an unexpected error', () => {
    const { host, sent } = capture();
    const error = new QueryFailedError(
      'SELECT secret FROM users',
      [],
      new Error('relation "users" does not exist'),
    );
    filter.catch(error, host);
    expect(sent.status).toBe(500);
    expect(sent.headers['content-type']).toBe('application/problem+json');
    expect(sent.body).toEqual({
      type: 'about:blank',
      title: 'Internal Server Error',
      status: 500,
      detail: expect.stringMatching(/^An unexpected error occurred/),
      instance: '/v1/things',
      requestId: 'req-1',
    });
    expect(JSON.stringify(sent.body)).not.toMatch(/SELECT|relation|users|stack|at /);
  });

  it('maps domain errors by kind, with code, field errors and headers', () => {
    const { host, sent } = capture();
    filter.catch(new ValidationFailedError([{ field: 'name', message: 'name is too long' }]), host);
    expect(sent.status).toBe(400);
    expect(sent.body).toMatchObject({
      code: 'REQUEST.VALIDATION_FAILED',
      errors: [{ field: 'name', message: 'name is too long' }],
    });

    const other = capture();
    filter.catch(new DomainError('precondition_failed', 'ITEM.STALE', 'Stale.'), other.host);
    expect(other.sent.status).toBe(412);
    expect(other.sent.body?.type).toBe('https://keel.dev/problems/item-stale');

    const unavailable = capture();
    filter.catch(new ServiceUnavailableError(), unavailable.host);
    expect(unavailable.sent.status).toBe(503);
    expect(unavailable.sent.headers['retry-after']).toBe('5');
  });

  it('answers 503 when the database cannot be reached', () => {
    const { host, sent } = capture();
    filter.catch(
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
      host,
    );
    expect(sent.status).toBe(503);
    expect(sent.body?.code).toBe('SERVICE.DATABASE_UNAVAILABLE');
  });

  it('keeps Nest HTTP exceptions’ status and message', () => {
    const { host, sent } = capture();
    filter.catch(new BadRequestException('Bad thing'), host);
    expect(sent.status).toBe(400);
    expect(sent.body?.detail).toBe('Bad thing');
  });
});
