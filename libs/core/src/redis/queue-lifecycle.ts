/**
 * What a BullMQ queue needs around its worker's life, shared by the jobs and webhook queues.
 */

/** Waits for `work` at most `ms`; a failure counts as settled. */
export function settleWithin(work: Promise<unknown> | undefined, ms: number): Promise<unknown> {
  return Promise.race([
    work?.catch(() => undefined),
    new Promise((resolve) => setTimeout(resolve, ms).unref()),
  ]);
}

/**
 * Calls `start` once `ping` succeeds, trying again with backoff (doubling to 5 s) until
 * `signal` aborts. A BullMQ worker is created only once Redis answers: one created against
 * an unreachable or frozen Redis cannot be closed cleanly (its connections go on
 * reconnecting, and its timers keep the process alive), and has nothing to do anyway.
 */
export function startWhenReachable(
  ping: () => Promise<unknown>,
  signal: AbortSignal,
  start: () => void,
  retryMs = 500,
): void {
  ping().then(
    () => {
      if (!signal.aborted) start();
    },
    () => {
      if (signal.aborted) return;
      setTimeout(
        () => startWhenReachable(ping, signal, start, Math.min(retryMs * 2, 5_000)),
        retryMs,
      ).unref();
    },
  );
}
