import { request, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';

export interface StreamedEvent {
  id: string;
  event: string;
  data: {
    id: string;
    seq: string;
    position: string;
    type: string;
    aggregateId: string;
    actorId: string | null;
    data: Record<string, unknown>;
  };
}

/** A server-sent-events client for tests: collects events and waits for the ones wanted. */
export interface EventStreamClient {
  status: number;
  headers: IncomingHttpHeaders;
  /** True once the server ended or dropped the stream. */
  closed: () => boolean;
  events: StreamedEvent[];
  /** Comment lines received (heartbeats). */
  comments: () => number;
  /** Resolves with the first event (already received or coming) that matches. */
  next(match: (e: StreamedEvent) => boolean, timeoutMs?: number): Promise<StreamedEvent>;
  close(): void;
}

export function openEventStream(
  url: string,
  headers: Record<string, string> = {},
): Promise<EventStreamClient> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { accept: 'text/event-stream', ...headers } });
    req.on('error', reject);
    req.on('response', (res: IncomingMessage) => {
      const events: StreamedEvent[] = [];
      let comments = 0;
      const waiters: Array<() => void> = [];
      let buffer = '';
      let closed = false;
      res.on('close', () => {
        closed = true;
      });
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          if (block.startsWith(':')) comments++;
          const fields = Object.fromEntries(
            block
              .split('\n')
              .filter((line) => line && !line.startsWith(':'))
              .map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 2)]),
          ) as Record<string, string>;
          if (fields.data === undefined || fields.id === undefined) continue;
          events.push({
            id: fields.id,
            event: fields.event ?? 'message',
            data: JSON.parse(fields.data) as StreamedEvent['data'],
          });
          waiters.splice(0).forEach((wake) => wake());
        }
      });
      resolve({
        status: res.statusCode ?? 0,
        headers: res.headers,
        closed: () => closed,
        events,
        comments: () => comments,
        next: async (match, timeoutMs = 10_000) => {
          const deadline = Date.now() + timeoutMs;
          for (;;) {
            const found = events.find(match);
            if (found) return found;
            const left = deadline - Date.now();
            if (left <= 0) throw new Error('no matching event arrived in time');
            await new Promise<void>((wake) => {
              waiters.push(wake);
              setTimeout(wake, left).unref();
            });
          }
        },
        close: () => {
          req.destroy();
          res.destroy();
        },
      });
    });
    req.end();
  });
}
