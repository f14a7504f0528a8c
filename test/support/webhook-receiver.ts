import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedWebhook {
  headers: IncomingHttpHeaders;
  body: string;
  /** performance.now() when the request's body had arrived. */
  at: number;
  /** Parsed body. */
  event: {
    id: string;
    type: string;
    aggregateId: string;
    aggregateType: string;
    actorId: string | null;
    publishedAt: string | null;
    occurredAt: string;
    data: Record<string, unknown>;
  };
}

/** What the receiver does with a request: answer this status, or never answer. */
export type Answer = number | 'hang';

export interface WebhookReceiver {
  url: string;
  port: number;
  received: ReceivedWebhook[];
  /** Decides each answer; 200 unless replaced. */
  answer: (request: ReceivedWebhook, index: number) => Answer;
  close: () => Promise<void>;
}

/** An HTTP receiver on 127.0.0.1 (on `port` if given), recording every request. */
export async function startWebhookReceiver(port = 0): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  const hanging = new Set<() => void>();
  const receiver: WebhookReceiver = {
    url: '',
    port: 0,
    received,
    answer: () => 200,
    close: () => Promise.resolve(),
  };
  const server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      const request: ReceivedWebhook = {
        headers: req.headers,
        body,
        at: performance.now(),
        event: JSON.parse(body) as ReceivedWebhook['event'],
      };
      received.push(request);
      const answer = receiver.answer(request, received.length - 1);
      if (answer === 'hang') {
        const end = () => res.destroy();
        hanging.add(end);
        res.on('close', () => hanging.delete(end));
        return;
      }
      res.writeHead(answer, { 'content-type': 'text/plain' }).end(`answered ${answer}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  receiver.port = (server.address() as AddressInfo).port;
  receiver.url = `http://127.0.0.1:${receiver.port}/hook`;
  receiver.close = () =>
    new Promise<void>((resolve) => {
      for (const end of hanging) end();
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return receiver;
}
