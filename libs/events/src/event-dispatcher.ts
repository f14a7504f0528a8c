import { inSpan } from '@keel/core';
import { Injectable, Logger } from '@nestjs/common';
import type { Context } from '@opentelemetry/api';
import { LRUCache } from 'lru-cache';
import type { IntegrationEvent } from './domain-event';

export type EventListener = (event: IntegrationEvent) => void;

/**
 * This process's consumers of integration events (cache, SSE). Delivery is at least once,
 * so every event id is remembered (the processed-events record) and a redelivered event
 * has no second effect. The record is per process, like the broker queue that feeds it.
 */
@Injectable()
export class EventDispatcher {
  private readonly logger = new Logger(EventDispatcher.name);
  private readonly listeners: EventListener[] = [];
  private readonly processed = new LRUCache<string, true>({ max: 100_000 });

  subscribe(listener: EventListener): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  /**
   * Hands the event to every listener, once per event id. False for a duplicate. The
   * listeners run in a span whose parent is `parent`: the trace context the message carried.
   */
  deliver(event: IntegrationEvent, parent?: Context): boolean {
    if (this.processed.has(event.id)) return false;
    this.processed.set(event.id, true);
    const attributes = { 'messaging.message.id': event.id, 'keel.event.type': event.type };
    inSpan(`${event.type} process`, { kind: 'consumer', parent, attributes }, () => {
      for (const listener of this.listeners) {
        try {
          listener(event);
        } catch (error) {
          this.logger.error({ err: error, eventId: event.id }, 'event listener failed');
        }
      }
    });
    return true;
  }
}
