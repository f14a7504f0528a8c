import {
  BrokenCircuitError,
  CircuitState,
  ConsecutiveBreaker,
  ExponentialBackoff,
  TimeoutStrategy,
  circuitBreaker,
  handleAll,
  handleWhen,
  retry,
  timeout,
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

/**
 * A timeout inside a circuit breaker, for calls to a network dependency that the
 * service can live without (cache, rate-limit storage). While the circuit is open,
 * calls fail at once instead of waiting for the timeout.
 */
export class DependencyPolicy {
  private readonly breaker: CircuitBreakerPolicy;
  private readonly policy: IPolicy;
  private readonly retrying: IPolicy;

  constructor(options: DependencyPolicyOptions) {
    this.breaker = circuitBreaker(handleAll, {
      halfOpenAfter: options.halfOpenAfterMs ?? 5_000,
      breaker: new ConsecutiveBreaker(options.consecutiveFailures ?? 3),
    });
    this.policy = wrap(this.breaker, timeout(options.timeoutMs, TimeoutStrategy.Aggressive));
    // Retrying against an open circuit only wastes time: those errors end the attempts.
    const retryPolicy = retry(
      handleWhen((error) => !(error instanceof BrokenCircuitError)),
      {
        maxAttempts: options.retries ?? 2,
        // Decorrelated jitter (cockatiel's default generator) spreads replicas' retries apart.
        backoff: new ExponentialBackoff({ initialDelay: 25, maxDelay: 500 }),
      },
    );
    this.retrying = wrap(retryPolicy, this.policy);
  }

  /** One attempt. */
  execute<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    return this.policy.execute(({ signal }) => fn(signal));
  }

  /** For idempotent calls only: failed attempts are retried with backoff while the circuit is closed. */
  executeWithRetry<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    return this.retrying.execute(({ signal }) => fn(signal));
  }

  get isOpen(): boolean {
    return this.breaker.state === CircuitState.Open || this.breaker.state === CircuitState.Isolated;
  }

  /** Called when the circuit closes again after the dependency came back. */
  onRecovered(listener: () => void): void {
    this.breaker.onReset(listener);
  }
}
