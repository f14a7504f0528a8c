import { extractTraceContext, injectTraceContext } from '@keel/core';
import { Logger } from '@nestjs/common';
import {
  connect,
  type Channel,
  type ChannelModel,
  type ConfirmChannel,
  type ConsumeMessage,
  type RecoveringChannelModel,
} from 'amqplib';
import { isIntegrationEvent, type IntegrationEvent } from '../domain-event';
import type { EventDispatcher } from '../event-dispatcher';
import { EventTransport } from './event-transport';

/** The topic exchange every event goes to, routed by its type. */
export const EVENTS_EXCHANGE = 'keel.events';

/**
 * RabbitMQ through amqplib with automatic reconnection. Publishing uses a confirm channel
 * and persistent messages. Each process also consumes: an exclusive, auto-deleted queue
 * bound to every event type, for what every instance must do (its cache, its SSE clients).
 */
export class RabbitMqTransport extends EventTransport {
  readonly mode = 'rabbitmq';
  private readonly logger = new Logger('RabbitMQ');
  private connection?: RecoveringChannelModel;
  private publisher?: ConfirmChannel;
  private isConnected = false;
  private subscriptions = 0;

  constructor(
    private readonly url: string,
    private readonly dispatcher: EventDispatcher,
  ) {
    super();
  }

  get connected(): boolean {
    return this.isConnected && this.publisher !== undefined;
  }

  /** The queue is exclusive: what was published while it did not exist is lost to this process. */
  override get subscription(): number {
    return this.subscriptions;
  }

  async start(): Promise<void> {
    const connection = await connect(withHeartbeat(this.url), {
      // Without it, Nagle's algorithm and delayed ACKs add ~40 ms to every confirm.
      noDelay: true,
      keepAlive: true,
      keepAliveDelay: 10_000,
      recovery: {
        waitForConnect: false,
        maxRetries: Infinity,
        // Exponential backoff with full jitter, capped at 5 s.
        calculateDelay: (attempt: number) =>
          Math.min(5_000, 200 * 2 ** Math.min(attempt, 5)) * (0.5 + Math.random() / 2),
        setup: (model: ChannelModel) => this.setUp(model),
      },
    });
    this.connection = connection;
    connection.on('connect', () => {
      this.isConnected = true;
      this.logger.log('connected');
    });
    connection.on('disconnect', (error: Error) => {
      this.isConnected = false;
      this.publisher = undefined;
      this.logger.warn({ err: error }, 'disconnected; reconnecting');
    });
    connection.on('error', () => undefined); // reported through 'disconnect'
  }

  async stop(): Promise<void> {
    await this.connection?.close().catch(() => undefined);
  }

  async publish(event: IntegrationEvent): Promise<void> {
    const channel = this.publisher;
    if (!channel) throw new Error('RabbitMQ is not connected');
    // `traceparent` (and `tracestate`): consumers in every process join the publisher's trace.
    const headers: Record<string, unknown> = {};
    injectTraceContext(headers);
    channel.publish(EVENTS_EXCHANGE, event.type, Buffer.from(JSON.stringify(event)), {
      persistent: true,
      messageId: event.id,
      type: event.type,
      contentType: 'application/json',
      headers,
    });
    await channel.waitForConfirms();
  }

  /** Runs after every (re)connection: the topology, the publisher and this process's queue. */
  private async setUp(model: ChannelModel): Promise<void> {
    const publisher = await model.createConfirmChannel();
    publisher.on('error', () => undefined);
    await publisher.assertExchange(EVENTS_EXCHANGE, 'topic', { durable: true });
    const consumer = await model.createChannel();
    consumer.on('error', () => undefined);
    const { queue } = await consumer.assertQueue('', { exclusive: true, autoDelete: true });
    await consumer.bindQueue(queue, EVENTS_EXCHANGE, '#');
    await consumer.prefetch(200);
    await consumer.consume(queue, (message) => this.receive(consumer, message));
    this.subscriptions++;
    this.publisher = publisher;
    this.isConnected = true;
  }

  private receive(channel: Channel, message: ConsumeMessage | null): void {
    if (!message) return;
    try {
      const event = JSON.parse(message.content.toString('utf8')) as unknown;
      if (isIntegrationEvent(event)) {
        this.dispatcher.deliver(event, extractTraceContext(message.properties.headers));
      }
    } catch {
      this.logger.warn({ routingKey: message.fields.routingKey }, 'unreadable event dropped');
    }
    channel.ack(message);
  }
}

/**
 * AMQP heartbeats every 10 s unless the URL sets its own: a broker that silently stopped
 * answering is found dead after two missed beats, not after the server's default of minutes.
 */
function withHeartbeat(url: string): string {
  const parsed = new URL(url);
  if (!parsed.searchParams.has('heartbeat')) parsed.searchParams.set('heartbeat', '10');
  return parsed.toString();
}
