import type { IntegrationEvent } from '../domain-event';

/** Where the relay publishes: RabbitMQ (full profile) or this process (embedded). */
export abstract class EventTransport {
  abstract readonly mode: 'rabbitmq' | 'in-process';
  /** Resolves once the event is safely handed over (a broker confirm), rejects otherwise. */
  abstract publish(event: IntegrationEvent): Promise<void>;
  abstract get connected(): boolean;
}
