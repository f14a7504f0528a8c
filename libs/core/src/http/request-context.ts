import { AsyncLocalStorage } from 'node:async_hooks';

interface RequestContext {
  requestId: string;
}

const storage = new AsyncLocalStorage<RequestContext>();

/** The id of the request being served, anywhere in its async call chain. */
export function currentRequestId(): string | undefined {
  return storage.getStore()?.requestId;
}

/**
 * Runs `next` (the rest of a Fastify hook chain) inside the request's context. Called from
 * `onRequest`, and again from `preValidation`: a body that arrives after the headers is read
 * in the socket's context, not the request's.
 */
export function runInRequestContext(requestId: string, next: () => void): void {
  storage.run({ requestId }, next);
}
