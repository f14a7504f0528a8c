import {
  captureTraceContext,
  extractTraceContext,
  withTraceContext,
  type TraceCarrier,
} from '@keel/core';
import { Logger } from '@nestjs/common';
import { JobQueue } from './job-queue';
import type { JobRunner } from './job-runner';

/** New jobs are also found by polling, in case one was added while the queue was busy failing. */
const POLL_MS = 5_000;
const MAX_RETRY_DELAY_MS = 60_000;

/**
 * The embedded profile's queue: jobs run in this process, straight from the jobs table.
 * At start it picks up every unfinished job, so a restart resumes them at their checkpoints.
 */
export class InProcessJobQueue extends JobQueue {
  private readonly logger = new Logger(InProcessJobQueue.name);
  private readonly waiting = new Set<string>();
  private readonly active = new Map<string, Promise<void>>();
  private readonly retryTimers = new Map<string, NodeJS.Timeout>();
  private readonly failures = new Map<string, number>();
  /** The trace context of whoever queued the job: its runs join that trace. */
  private readonly traces = new Map<string, TraceCarrier>();
  private readonly abort = new AbortController();
  private poll?: NodeJS.Timeout;
  private started = false;

  constructor(
    private readonly runner: JobRunner,
    private readonly concurrency: number,
    private readonly attempts: number,
  ) {
    super();
  }

  enqueue(job: { id: string }): Promise<void> {
    if (this.started) {
      const trace = captureTraceContext();
      if (trace) this.traces.set(job.id, trace);
      this.waiting.add(job.id);
      this.pump();
    }
    return Promise.resolve();
  }

  remove(jobId: string): Promise<void> {
    this.waiting.delete(jobId);
    this.traces.delete(jobId);
    clearTimeout(this.retryTimers.get(jobId));
    this.retryTimers.delete(jobId);
    return Promise.resolve();
  }

  async startWorkers(): Promise<void> {
    this.started = true;
    await this.findUnfinished();
    this.poll = setInterval(() => void this.findUnfinished(), POLL_MS).unref();
  }

  async stop(): Promise<void> {
    this.started = false;
    clearInterval(this.poll);
    for (const timer of this.retryTimers.values()) clearTimeout(timer);
    this.abort.abort();
    await Promise.all(this.active.values());
  }

  private async findUnfinished(): Promise<void> {
    try {
      for (const job of await this.runner.unfinished()) {
        if (!this.active.has(job.id) && !this.retryTimers.has(job.id)) this.waiting.add(job.id);
      }
      this.pump();
    } catch (error) {
      this.logger.warn({ err: error }, 'could not look for unfinished jobs');
    }
  }

  private pump(): void {
    for (const id of this.waiting) {
      if (!this.started || this.active.size >= this.concurrency) return;
      this.waiting.delete(id);
      // Asked for again while it runs (the poll found it before its submitter enqueued it):
      // a second run would claim the `running` row as abandoned and do the work twice.
      if (this.active.has(id)) continue;
      const run = this.runOne(id).finally(() => {
        this.active.delete(id);
        this.pump();
      });
      this.active.set(id, run);
    }
  }

  private async runOne(id: string): Promise<void> {
    const failures = this.failures.get(id) ?? 0;
    let outcome;
    try {
      outcome = await withTraceContext(extractTraceContext(this.traces.get(id)), () =>
        this.runner.run(id, {
          signal: this.abort.signal,
          finalAttempt: failures + 1 >= this.attempts,
        }),
      );
    } catch (error) {
      outcome = { kind: 'retry' as const, error: error as Error };
    }
    if (outcome.kind !== 'retry') {
      this.failures.delete(id);
      this.traces.delete(id);
      return;
    }
    if (!this.started) return;
    this.failures.set(id, failures + 1);
    // Exponential backoff with full jitter.
    const delay = Math.random() * Math.min(MAX_RETRY_DELAY_MS, 1_000 * 2 ** failures);
    this.retryTimers.set(
      id,
      setTimeout(() => {
        this.retryTimers.delete(id);
        this.waiting.add(id);
        this.pump();
      }, delay).unref(),
    );
  }
}
