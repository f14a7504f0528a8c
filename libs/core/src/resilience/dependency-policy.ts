import {
  ConsecutiveBreaker,
  TimeoutStrategy,
  circuitBreaker,
  handleAll,
  timeout,
  wrap,
} from 'cockatiel';

export interface DependencyPolicyOptions {
  /** Longest one call may take before it counts as failed. */
  timeoutMs: number;
  /** Failures in a row that open the circuit. */
  consecutiveFailures?: number;
  /** How long the circuit stays open before one trial call is let through. */
  halfOpenAfterMs?: number;
}

/**
 * A timeout inside a circuit breaker, for calls to a network dependency that the
 * service can live without (cache, rate-limit storage). While the circuit is open,
 * calls fail at once instead of waiting for the timeout.
 */
export class DependencyPolicy {
  private readonly policy;

  constructor(options: DependencyPolicyOptions) {
    const breaker = circuitBreaker(handleAll, {
      halfOpenAfter: options.halfOpenAfterMs ?? 5_000,
      breaker: new ConsecutiveBreaker(options.consecutiveFailures ?? 3),
    });
    this.policy = wrap(breaker, timeout(options.timeoutMs, TimeoutStrategy.Aggressive));
  }

  execute<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    return this.policy.execute(({ signal }) => fn(signal));
  }
}
