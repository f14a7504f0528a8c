import {
  AllowStreamTicket,
  ApiProblems,
  CurrentUser,
  Roles,
  ValidationFailedError,
  type AuthUser,
} from '@keel/core';
import { Controller, Get, Headers, Query, Res } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import {
  ApiBearerAuth,
  ApiHeader,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiQuery,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { PassThrough } from 'node:stream';
import { EventPageDto, ListEventsQueryDto } from './dto/event.dto';
import { ListEventsQuery } from './queries/list-events/list-events.query';
import { EventStreamHub } from './stream/event-stream.hub';

/** The event types a client usually handles; the `auth.*` audit events and `webhook.*` arrive too (see the hub's visibleTo). */
const STREAM_EVENT_TYPES = [
  'item.created',
  'item.updated',
  'item.deleted',
  'item.imported',
  'job.progress',
  'user.registered',
  'user.updated',
  'user.access_changed',
  'user.deleted',
] as const;

@ApiTags('events')
@ApiBearerAuth()
@ApiProblems(401)
@Controller('events')
export class EventsController {
  constructor(
    private readonly queries: QueryBus,
    private readonly hub: EventStreamHub,
  ) {}

  @Get()
  @Roles('admin')
  @ApiOperation({
    operationId: 'listEvents',
    summary: 'The audit log (admin): who did what, when, in which request',
  })
  @ApiOkResponse({ type: EventPageDto })
  @ApiProblems(400, 403)
  list(@Query() query: ListEventsQueryDto): Promise<EventPageDto> {
    return this.queries.execute(new ListEventsQuery(query));
  }

  @Get('stream')
  @AllowStreamTicket()
  @ApiOperation({
    operationId: 'streamEvents',
    summary: 'Server-sent events as they happen',
    description:
      'Each message has `id` (resume with `Last-Event-ID`), `event` (the type) and `data` (the event). Browsers’ EventSource cannot send headers: get a ticket from `POST /v1/auth/tickets` and pass `?ticket=`. Admins see every event, others item events and their own account’s.',
  })
  @ApiProduces('text/event-stream')
  @ApiOkResponse({
    description: [
      'A stream that stays open: Swagger UI cannot show it ("Execute" waits for an end that never comes).',
      'Watch it with `curl -N <url>/v1/events/stream -H "authorization: Bearer $TOKEN"` or a browser `EventSource` (with `?ticket=`).',
      'Server-sent events (text/event-stream): first `retry: 2000`, then one message per event (`id:` its stream `position`, `event:` its type, `data:` the event as JSON), and a `: heartbeat` comment on an idle stream.',
      `Event types (the \`event:\` field): ${STREAM_EVENT_TYPES.map((t) => `\`${t}\``).join(', ')}, and the \`auth.*\` and \`webhook.*\` audit events. Admins see every event; others item events, their own account’s, their jobs’ and their webhooks’. \`data\` is an \`EventDto\`.`,
    ].join('\n\n'),
    content: {
      'text/event-stream': {
        schema: { type: 'string' },
        example: [
          'retry: 2000',
          '',
          'id: 42',
          'event: item.created',
          'data: {"id":"0199a0b0-6c1e-7d0f-8e53-a3f41f0f5f3c","seq":"42","position":"42","type":"item.created","aggregateType":"item","aggregateId":"0199a0b0-6b2f-7c1e-9d0f-4e53a3f41f0f","actorId":"0199a0a0-1f0f-7f3c-8a11-9b2f6c1e6d0f","requestId":"9b2f6c1e-6d0f-4e53-a3f4-1f0f5f3c2a11","occurredAt":"2026-11-29T10:00:00.000Z","publishedAt":"2026-11-29T10:00:00.004Z","data":{"name":"Walnut desk","price":"249.90"}}',
          '',
          ': heartbeat',
          '',
          '',
        ].join('\n'),
      },
    },
  })
  @ApiHeader({ name: 'Last-Event-ID', required: false })
  @ApiQuery({ name: 'ticket', required: false })
  @ApiProblems(400)
  async stream(
    @CurrentUser() user: AuthUser,
    @Headers('last-event-id') lastEventId: string | undefined,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    if (lastEventId !== undefined && !/^\d{1,18}$/.test(lastEventId)) {
      throw new ValidationFailedError([
        { field: 'Last-Event-ID', message: 'must be the id of an event received before' },
      ]);
    }
    // Sent through Fastify rather than written to the raw socket, so the hooks that every
    // response goes through add theirs: X-Request-Id, the security headers, CORS.
    const body = new PassThrough();
    void reply
      .headers({
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        // Tells nginx-style proxies not to buffer the stream.
        'x-accel-buffering': 'no',
      })
      .send(body);
    body.write('retry: 2000\n\n');
    await this.hub.open(user, body, lastEventId);
  }
}
