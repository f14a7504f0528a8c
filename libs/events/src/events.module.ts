import { rabbitmqConfig } from '@keel/core';
import {
  Global,
  Injectable,
  Module,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { TypeOrmModule } from '@nestjs/typeorm';
import { OutboxEvent } from './entities/outbox-event.entity';
import { EventDispatcher } from './event-dispatcher';
import { EventsController } from './events.controller';
import { ListEventsHandler } from './queries/list-events/list-events.handler';
import { EventStreamHub } from './stream/event-stream.hub';
import { Outbox } from './outbox';
import { OutboxRelay } from './relay/outbox-relay';
import { EventTransport } from './transport/event-transport';
import { LocalTransport } from './transport/local-transport';
import { RabbitMqTransport } from './transport/rabbitmq-transport';

/** Connects to RabbitMQ in the background at start and closes the connection at the end. */
@Injectable()
class TransportLifecycle implements OnModuleInit, OnApplicationShutdown {
  constructor(private readonly transport: EventTransport) {}

  async onModuleInit(): Promise<void> {
    if (this.transport instanceof RabbitMqTransport) await this.transport.start();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.transport instanceof RabbitMqTransport) await this.transport.stop();
  }
}

/**
 * Domain events: the transactional outbox, its relay, the transport (RabbitMQ topic
 * exchange `keel.events`, or in-process) and this process's dispatcher.
 */
@Global()
@Module({
  imports: [TypeOrmModule.forFeature([OutboxEvent])],
  providers: [
    EventDispatcher,
    {
      provide: EventTransport,
      inject: [rabbitmqConfig.KEY, EventDispatcher],
      useFactory: (cfg: ConfigType<typeof rabbitmqConfig>, dispatcher: EventDispatcher) =>
        cfg.url ? new RabbitMqTransport(cfg.url, dispatcher) : new LocalTransport(dispatcher),
    },
    TransportLifecycle,
    OutboxRelay,
    Outbox,
    ListEventsHandler,
    EventStreamHub,
  ],
  controllers: [EventsController],
  exports: [Outbox, EventDispatcher, EventTransport, OutboxRelay],
})
export class EventsModule {}
