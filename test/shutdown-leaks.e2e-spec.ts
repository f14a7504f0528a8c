import { freePort, redisServerAvailable, startTestApp, startTestRedis } from '@keel/testing';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Timers keeping this process alive. */
const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

/**
 * An app that is closed must leave nothing running: a leftover reconnecting client or queue
 * worker keeps the process alive (a test runner never exits) and goes on using the network.
 */
describe('closing the app', () => {
  it('leaves no timer running when Redis never answered', async () => {
    const before = timers();
    // Nothing listens there: every Redis client of the app keeps failing to connect.
    const t = await startTestApp({ REDIS_URL: `redis://127.0.0.1:${await freePort()}` });
    await sleep(2_000);
    await t.close();
    // Past a disconnecting client's own connect timeout (2 s), which ends by itself; then
    // sampled for 3 s, since a reconnecting client has a timer only between its attempts.
    await sleep(2_500);
    let most = 0;
    for (let i = 0; i < 30; i++) {
      most = Math.max(most, timers());
      await sleep(100);
    }
    expect(most).toBeLessThanOrEqual(before);
  });

  // Needs `redis-server` on PATH (the suite's own Redis, whatever the profile).
  (redisServerAvailable() ? it : it.skip)(
    'leaves no timer running when Redis answered',
    async () => {
      const redis = await startTestRedis();
      try {
        const before = timers();
        const t = await startTestApp({ REDIS_URL: redis.url });
        // The queue workers are made once Redis answers.
        await sleep(1_000);
        await t.close();
        // Closing clients whose sockets had already closed once left a 2 s timer each.
        await sleep(300);
        expect(timers()).toBeLessThanOrEqual(before);
      } finally {
        await redis.close();
      }
    },
  );
});
