/** Where new jobs go to be run: BullMQ on Redis (full profile) or this process (embedded). */
export abstract class JobQueue {
  /**
   * Asks for the job to be run. The job's row is already committed, so a failure here
   * loses nothing: it is logged, and the reconciler queues the job again.
   */
  abstract enqueue(job: { id: string; type: string }): Promise<void>;

  /** Takes the job out of the queue if no worker has started it. */
  abstract remove(jobId: string): Promise<void>;

  /** Starts running jobs in this process (only where `RUN_WORKERS` is on). */
  abstract startWorkers(): Promise<void>;

  /** Stops taking jobs; running ones stop at their next batch and are handed back. */
  abstract stop(): Promise<void>;
}
