import type { IntegrationEvent } from '../domain-event';

/** Where the relay publishes: RabbitMQ (full profile) or this process (embedded). */
export abstract class EventTransport {
  abstract readonly mode: 'rabbitmq' | 'in-process';
  /** Resolves once the event is safely handed over (a broker confirm), rejects otherwise. */
  abstract publish(event: IntegrationEvent): Promise<void>;
  abstract get connected(): boolean;
  /**
   * Changes each time this process's subscription to the fan-out is made anew: events
   * published between two values may never have reached it. Constant where nothing is lost.
   */
  get subscription(): number {
    return 0;
  }
}
