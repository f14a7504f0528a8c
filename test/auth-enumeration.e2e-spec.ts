import { signUp, startTestApp, type TestApp } from '@keel/testing';
import { performance } from 'node:perf_hooks';
import type { Response } from 'supertest';

/** Requests per side; interleaved, so load on the machine falls on both alike. */
const SAMPLES = 25;

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};

/** What a client sees of an answer, without the request id (different on every answer). */
function visible(res: Response): object {
  const body = { ...(res.body as Record<string, unknown>) };
  delete body.requestId;
  return { status: res.status, type: res.headers['content-type'], body };
}

/**
 * An attacker learns whether an address has an account from any difference between the
 * answers for a known and an unknown one: status, body, or time taken.
 */
describe('user enumeration', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  /**
   * Times `send(known)` and `send(unknown)` alternately and returns both medians (ms), after
   * checking every pair of answers looks the same.
   */
  async function compare(
    send: (account: 'known' | 'unknown', i: number) => Promise<Response>,
  ): Promise<{ known: number; unknown: number }> {
    for (let i = 0; i < 3; i++) {
      await send('known', -1 - i);
      await send('unknown', -1 - i);
    }
    const times = { known: [] as number[], unknown: [] as number[] };
    for (let i = 0; i < SAMPLES; i++) {
      const order = i % 2 ? (['known', 'unknown'] as const) : (['unknown', 'known'] as const);
      const answers: Response[] = [];
      for (const account of order) {
        const started = performance.now();
        answers.push(await send(account, i));
        times[account].push(performance.now() - started);
      }
      expect(visible(answers[0])).toEqual(visible(answers[1]));
    }
    return { known: median(times.known), unknown: median(times.unknown) };
  }

  /** Similar: within a quarter of the slower one, or 2 ms where both are fast. */
  function expectSimilar({ known, unknown }: { known: number; unknown: number }): void {
    const gap = Math.abs(known - unknown);
    expect({
      known,
      unknown,
      similar: gap <= Math.max(2, 0.25 * Math.max(known, unknown)),
    }).toEqual(expect.objectContaining({ similar: true }));
  }

  it('login: a wrong password and an unknown address look and take the same', async () => {
    const user = await signUp(t.http);
    const medians = await compare((account, i) =>
      t.http.post('/v1/auth/login').send({
        email: account === 'known' ? user.email : `nobody-${i}-${user.id}@keel.test`,
        password: 'not-the-password-1',
      }),
    );
    expectSimilar(medians);
  });

  it('forgot-password: a known and an unknown address look and take the same', async () => {
    const user = await signUp(t.http);
    const medians = await compare((account, i) =>
      t.http.post('/v1/auth/password/forgot').send({
        email: account === 'known' ? user.email : `nobody-${i}-${user.id}@keel.test`,
      }),
    );
    expectSimilar(medians);
  });
});
