import type { IntegrationEvent } from './domain-event';
import { EventDispatcher } from './event-dispatcher';

const event = (id: string): IntegrationEvent => ({
  id,
  seq: '1',
  position: '1',
  type: 'item.created',
  aggregateType: 'item',
  aggregateId: 'a',
  actorId: null,
  requestId: null,
  occurredAt: new Date(0).toISOString(),
  publishedAt: null,
  data: {},
});

describe('EventDispatcher', () => {
  it('hands each event id to its listeners once, however often it is delivered', () => {
    const dispatcher = new EventDispatcher();
    const received: string[] = [];
    dispatcher.subscribe((e) => received.push(e.id));
    expect(dispatcher.deliver(event('e1'))).toBe(true);
    expect(dispatcher.deliver(event('e1'))).toBe(false);
    expect(dispatcher.deliver(event('e2'))).toBe(true);
    expect(received).toEqual(['e1', 'e2']);
  });

  it('keeps delivering to the other listeners when one throws', () => {
    const dispatcher = new EventDispatcher();
    const received: string[] = [];
    dispatcher.subscribe(() => {
      throw new Error('broken listener');
    });
    dispatcher.subscribe((e) => received.push(e.id));
    dispatcher.deliver(event('e1'));
    expect(received).toEqual(['e1']);
  });
});
