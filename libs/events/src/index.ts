export * from './events.module';
export * from './domain-event';
export * from './entities/outbox-event.entity';
export * from './event-dispatcher';
export * from './outbox';
export * from './relay/outbox-relay';
export * from './transport/event-transport';
export { EVENTS_EXCHANGE } from './transport/rabbitmq-transport';
export { mayWatch } from './stream/event-stream.hub';
