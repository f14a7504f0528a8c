import {
  BrokenCircuitError,
  CircuitState,
  ConsecutiveBreaker,
  ExponentialBackoff,
  circuitBreaker,
  handleWhen,
  retry,
  wrap,
  type CircuitBreakerPolicy,
  type IPolicy,
} from 'cockatiel';

export interface DependencyPolicyOptions {
  /** Longest one call may take before it counts as failed. */
  timeoutMs: number;
  /** Failures in a row that open the circuit. */
  consecutiveFailures?: number;
  /** How long the circuit stays open before one trial call is let through. */
  halfOpenAfterMs?: number;
  /** Extra attempts for `executeWithRetry`, spaced by exponential backoff with jitter. */
  retries?: number;
}

/** A call outlived its timeout. `loopBusy`: the event loop, not the dependency, was slow. */
export class DependencyTimeoutError extends Error {
  constructor(readonly loopBusy: boolean) {
    super(loopBusy ? 'timed out while the event loop was busy' : 'dependency timed out');
    this.name = 'DependencyTimeoutError';
  }
}

/** Windows a call gets while the event loop keeps firing its timer late. */
const MAX_WINDOWS = 4;

/**
 * Runs `fn` with a timeout that measures the dependency rather than this process's event loop.
 * Timers run before the loop reads its sockets, so after the loop was blocked a plain timeout
 * fires before a reply that arrived long ago is read, and a healthy Redis counts as failed.
 * Here an expired timer first lets the loop poll once (setImmediate), and a timer that fired
 * late (the loop was busy during the window) gives the call a fresh window, up to MAX_WINDOWS.
 */
async function withTimeout<T>(
  fn: (signal: AbortSignal) => Promise<T>,
  timeoutMs: number,
  outer: AbortSignal,
): Promise<T> {
  const tolerance = Math.max(10, timeoutMs / 4);
  const controller = new AbortController();
  const abort = () => controller.abort(outer.reason);
  outer.addEventListener('abort', abort, { once: true });
  let settled = false;
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    const arm = (window: number) => {
      const due = performance.now() + timeoutMs;
      timer = setTimeout(
        () =>
          setImmediate(() => {
            if (settled) return;
            const loopBusy = performance.now() - due > tolerance;
            if (loopBusy && window < MAX_WINDOWS) return arm(window + 1);
            const error = new DependencyTimeoutError(loopBusy);
            controller.abort(error);
            reject(error);
          }),
        timeoutMs,
      );
    };
    arm(1);
  });
  try {
    return await Promise.race([fn(controller.signal), expired]);
  } finally {
    settled = true;
    clearTimeout(timer);
    outer.removeEventListener('abort', abort);
  }
}

/**
 * A timeout inside a circuit breaker, for calls to a network dependency that the
 * service can live without (cache, rate-limit storage). While the circuit is open,
 * calls fail at once instead of waiting for the timeout.
 */
export class DependencyPolicy {
  private readonly breaker: CircuitBreakerPolicy;
  private readonly retrying: IPolicy;

  constructor(private readonly options: DependencyPolicyOptions) {
    // A timeout the busy event loop caused says nothing about the dependency.
    this.breaker = circuitBreaker(
      handleWhen((error) => !(error instanceof DependencyTimeoutError && error.loopBusy)),
      {
        halfOpenAfter: options.halfOpenAfterMs ?? 5_000,
        breaker: new ConsecutiveBreaker(options.consecutiveFailures ?? 3),
      },
    );
    // Retrying against an open circuit only wastes time: those errors end the attempts.
    const retryPolicy = retry(
      handleWhen((error) => !(error instanceof BrokenCircuitError)),
      {
        maxAttempts: options.retries ?? 2,
        // Decorrelated jitter (cockatiel's default generator) spreads replicas' retries apart.
        backoff: new ExponentialBackoff({ initialDelay: 25, maxDelay: 500 }),
      },
    );
    this.retrying = wrap(retryPolicy, this.breaker);
  }

  /** One attempt. */
  execute<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    return this.breaker.execute(({ signal }) => withTimeout(fn, this.options.timeoutMs, signal));
  }

  /** For idempotent calls only: failed attempts are retried with backoff while the circuit is closed. */
  executeWithRetry<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    return this.retrying.execute(({ signal }) => withTimeout(fn, this.options.timeoutMs, signal));
  }

  /** Not trusted: the circuit is open, or half-open while one trial call finds out. */
  get isOpen(): boolean {
    return this.breaker.state !== CircuitState.Closed;
  }

  /** Called when the circuit opens: the dependency failed too often in a row. */
  onBreak(listener: () => void): void {
    this.breaker.onBreak(listener);
  }

  /** Called when the circuit closes again after the dependency came back. */
  onRecovered(listener: () => void): void {
    this.breaker.onReset(listener);
  }
}
