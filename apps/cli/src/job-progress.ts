import type { JobResponseDto } from '@keel/jobs';

const BAR_WIDTH = 30;
/** Without a terminal a line is written when the job changes, at most this often. */
const PLAIN_EVERY_MS = 1_000;

/**
 * Shows a job as it runs, on stderr (stdout carries the command's result): a bar redrawn
 * in place on a terminal, plain lines otherwise (logs, CI, a pipe). Rows per second are
 * counted from the first time the job was seen running.
 */
export class JobProgress {
  private startedAt: number | undefined;
  private lastPlain = Number.NEGATIVE_INFINITY;
  private lastText = '';
  private drawn = false;

  constructor(private readonly out: NodeJS.WriteStream = process.stderr) {}

  get tty(): boolean {
    return this.out.isTTY === true;
  }

  show(job: JobResponseDto): void {
    if (job.state === 'running' && this.startedAt === undefined) this.startedAt = performance.now();
    const text = this.describe(job);
    if (this.tty) {
      const filled = Math.round((job.progress / 100) * BAR_WIDTH);
      const bar = `[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}]`;
      this.out.write(`\r\x1b[2K${bar} ${text}`);
      this.drawn = true;
      return;
    }
    const now = performance.now();
    const ended = job.state !== 'queued' && job.state !== 'running';
    if (text === this.lastText || (!ended && now - this.lastPlain < PLAIN_EVERY_MS)) return;
    this.lastText = text;
    this.lastPlain = now;
    this.out.write(`${text}\n`);
  }

  /** Ends the bar's line, so what follows starts on its own. */
  done(): void {
    if (this.drawn) this.out.write('\n');
    this.drawn = false;
  }

  rowsPerSecond(job: JobResponseDto): number | undefined {
    if (this.startedAt === undefined) return undefined;
    const seconds = (performance.now() - this.startedAt) / 1000;
    return seconds > 0 ? job.processed / seconds : undefined;
  }

  private describe(job: JobResponseDto): string {
    const rate = this.rowsPerSecond(job);
    return (
      `${job.state} ${job.progress}% ${job.processed} rows (${job.succeeded} stored, ${job.failed} refused)` +
      (rate !== undefined && job.processed > 0 ? ` ${Math.round(rate)} rows/s` : '')
    );
  }
}
