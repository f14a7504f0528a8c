import pino from 'pino';
import { Writable } from 'node:stream';
import { runInRequestContext } from '../http/request-context';
import { appLoggerOptions, createAccessLogger } from './logger-options';

function capture(): {
  stream: Writable;
  text: () => string;
  lines: () => Record<string, unknown>[];
} {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return {
    stream,
    text: () => chunks.join(''),
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

describe('appLoggerOptions', () => {
  it('adds the request id to lines written while a request is served, and only then', async () => {
    const out = capture();
    const logger = pino(appLoggerOptions('info'), out.stream);
    logger.info('before');
    await new Promise<void>((resolve) =>
      runInRequestContext('req-1', () => {
        // Also after an await inside the request.
        void Promise.resolve().then(() => {
          logger.info('during');
          resolve();
        });
      }),
    );
    logger.info('after');
    const [before, during, after] = out.lines();
    expect(before).not.toHaveProperty('reqId');
    expect(during).toMatchObject({ msg: 'during', reqId: 'req-1', level: 'info', service: 'keel' });
    expect(after).not.toHaveProperty('reqId');
  });

  it('redacts passwords and refresh tokens', () => {
    const out = capture();
    pino(appLoggerOptions('info'), out.stream).info(
      { body: { email: 'a@b.c', password: 'secret', refreshToken: 'token' } },
      'x',
    );
    const [line] = out.lines();
    expect(line?.body).toEqual({
      email: 'a@b.c',
      password: '[Redacted]',
      refreshToken: '[Redacted]',
    });
  });
});

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** Every line is one JSON object with a level name and an ISO-8601 UTC time (not epoch ms). */
function expectJsonLinesWithIsoTime(text: string, count: number): Record<string, unknown>[] {
  const lines = text.split('\n');
  expect(lines.pop()).toBe(''); // newline-terminated
  expect(lines).toHaveLength(count);
  return lines.map((line) => {
    const parsed = JSON.parse(line) as Record<string, unknown>;
    expect(parsed.time).toMatch(ISO_TIME);
    expect(new Date(parsed.time as string).toISOString()).toBe(parsed.time);
    expect(Math.abs(Date.parse(parsed.time as string) - Date.now())).toBeLessThan(60_000);
    return parsed;
  });
}

describe('createAccessLogger', () => {
  it('writes JSON lines with the Http context and ISO time', () => {
    const out = capture();
    const logger = createAccessLogger('info', out.stream);
    logger.info({ method: 'GET', status: 200 }, 'request completed');
    logger.warn({ method: 'POST', status: 500 }, 'request completed');
    logger.debug('below the level');
    const lines = expectJsonLinesWithIsoTime(out.text(), 2);
    expect(lines[0]).toMatchObject({
      level: 'info',
      context: 'Http',
      service: 'keel',
      status: 200,
    });
    expect(lines[1]).toMatchObject({ level: 'warn', context: 'Http', status: 500 });
  });
});

describe('appLoggerOptions lines', () => {
  it('are JSON lines with ISO time', () => {
    const out = capture();
    const logger = pino(appLoggerOptions('info'), out.stream);
    logger.info('one');
    logger.error(new Error('two'));
    const [one, two] = expectJsonLinesWithIsoTime(out.text(), 2);
    expect(one).toMatchObject({ level: 'info', msg: 'one' });
    expect(two).toMatchObject({ level: 'error', msg: 'two' });
  });
});
