import { extractTraceContext, injectTraceContext } from '@keel/core';
import type { IntegrationEvent } from '../domain-event';
import type { EventDispatcher } from '../event-dispatcher';
import { EventTransport } from './event-transport';

/** The embedded profile's broker: this process's dispatcher, after the relay's transaction. */
export class LocalTransport extends EventTransport {
  readonly mode = 'in-process';
  readonly connected = true;

  constructor(private readonly dispatcher: EventDispatcher) {
    super();
  }

  publish(event: IntegrationEvent): Promise<void> {
    // Listeners run after the relay's transaction, never inside it; in the publisher's trace,
    // carried as over RabbitMQ.
    const headers: Record<string, unknown> = {};
    injectTraceContext(headers);
    setImmediate(() => this.dispatcher.deliver(event, extractTraceContext(headers)));
    return Promise.resolve();
  }
}
