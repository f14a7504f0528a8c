import { Webhook } from 'standardwebhooks';
import { retryDelayMs } from './delivery/delivery-runner';
import { matchesEventType, newWebhookSecret, signedHeaders } from './signing';

describe('webhook signing', () => {
  it('signs as Standard Webhooks verifies, with one signature per secret', () => {
    const [current, previous] = [newWebhookSecret(), newWebhookSecret()];
    const body = JSON.stringify({ type: 'item.created', data: { name: 'é' } });
    const headers = signedHeaders('msg_1', Math.floor(Date.now() / 1000), body, [
      current,
      previous,
    ]);
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(new Webhook(current).verify(body, headers)).toMatchObject({ type: 'item.created' });
    expect(new Webhook(previous).verify(body, headers)).toMatchObject({ type: 'item.created' });
    expect(() => new Webhook(newWebhookSecret()).verify(body, headers)).toThrow();
  });

  it('matches exact types, prefixes ending in * and *', () => {
    expect(matchesEventType(['item.created'], 'item.created')).toBe(true);
    expect(matchesEventType(['item.created'], 'item.updated')).toBe(false);
    expect(matchesEventType(['item.*'], 'item.deleted')).toBe(true);
    expect(matchesEventType(['item.*'], 'items.deleted')).toBe(false);
    expect(matchesEventType(['*'], 'job.progress')).toBe(true);
  });
});

describe('retryDelayMs', () => {
  it('waits between the previous and the current step, so retries grow', () => {
    const schedule = [1_000, 10_000, 60_000];
    for (let i = 0; i < 200; i++) {
      const [a, b, c] = [1, 2, 3].map((n) => retryDelayMs(schedule, n));
      expect(a).toBeGreaterThanOrEqual(0);
      expect(a).toBeLessThanOrEqual(1_000);
      expect(b).toBeGreaterThanOrEqual(1_000);
      expect(b).toBeLessThanOrEqual(10_000);
      expect(c).toBeGreaterThanOrEqual(10_000);
      expect(c).toBeLessThanOrEqual(60_000);
    }
  });
});
