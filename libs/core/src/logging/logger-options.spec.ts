import pino from 'pino';
import { Writable } from 'node:stream';
import { runInRequestContext } from '../http/request-context';
import { appLoggerOptions, createAccessLogger } from './logger-options';

function capture(): { stream: Writable; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return {
    stream,
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

describe('createAccessLogger', () => {
  it('writes JSON lines with the Http context and ISO time', () => {
    const logger = createAccessLogger('info');
    expect(logger.bindings()).toMatchObject({ context: 'Http' });
    expect(logger.level).toBe('info');
  });
});
