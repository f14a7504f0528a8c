import { InProcessJobQueue } from './in-process-job-queue';
import type { JobRunner, RunOutcome } from './job-runner';

describe('InProcessJobQueue', () => {
  it('does not start a second run of a job that is running (found by the poll, then enqueued)', async () => {
    const runs: string[] = [];
    let finish!: (outcome: RunOutcome) => void;
    const runner = {
      unfinished: () => Promise.resolve([{ id: 'job-1', type: 'auth.mail', state: 'queued' }]),
      run: (id: string) => {
        runs.push(id);
        return new Promise<RunOutcome>((resolve) => (finish = resolve));
      },
    } as unknown as JobRunner; // only the two methods the queue calls
    const queue = new InProcessJobQueue(runner, 2, 3);
    await queue.startWorkers();
    expect(runs).toEqual(['job-1']);
    // The submitter's enqueue after its commit, while the poll's run is going on.
    await queue.enqueue({ id: 'job-1' });
    expect(runs).toEqual(['job-1']);
    finish({ kind: 'done' });
    await queue.stop();
  });
});
