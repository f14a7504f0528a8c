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
    // Listeners run after the relay's transaction, never inside it.
    setImmediate(() => this.dispatcher.deliver(event));
    return Promise.resolve();
  }
}
