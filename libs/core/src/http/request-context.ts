import { AsyncLocalStorage } from 'node:async_hooks';
import type { IncomingMessage, ServerResponse } from 'node:http';

interface RequestContext {
  requestId: string;
}

const storage = new AsyncLocalStorage<RequestContext>();

/** The id of the request being served, anywhere in its async call chain. */
export function currentRequestId(): string | undefined {
  return storage.getStore()?.requestId;
}

/** Nest middleware: runs the rest of the request inside its context. */
export function requestContextMiddleware(
  req: IncomingMessage & { id?: string },
  _res: ServerResponse,
  next: () => void,
): void {
  storage.run({ requestId: req.id ?? '' }, next);
}
