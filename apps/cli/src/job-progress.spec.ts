import type { JobResponseDto } from '@keel/jobs';
import { PassThrough } from 'node:stream';
import { JobProgress } from './job-progress';

function job(changes: Partial<JobResponseDto>): JobResponseDto {
  return {
    id: 'j',
    type: 'items.import',
    ownerId: 'o',
    state: 'running',
    progress: 0,
    processed: 0,
    succeeded: 0,
    failed: 0,
    errors: [],
    reason: null,
    result: null,
    attempts: 1,
    createdAt: '',
    startedAt: null,
    finishedAt: null,
    ...changes,
  };
}

function output(tty: boolean) {
  const stream = Object.assign(new PassThrough(), { isTTY: tty }) as unknown as NodeJS.WriteStream;
  let text = '';
  (stream as unknown as PassThrough).on('data', (chunk: Buffer) => (text += chunk.toString()));
  return { stream, text: () => text };
}

describe('JobProgress', () => {
  it('without a terminal writes plain lines, at most one a second, and always the last', () => {
    const out = output(false);
    const progress = new JobProgress(out.stream);
    progress.show(job({ progress: 10, processed: 100, succeeded: 100 }));
    progress.show(job({ progress: 20, processed: 200, succeeded: 200 }));
    progress.show(
      job({ state: 'succeeded', progress: 100, processed: 300, succeeded: 299, failed: 1 }),
    );
    const lines = out.text().trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^running 10% 100 rows \(100 stored, 0 refused\)/);
    expect(lines[1]).toMatch(/^succeeded 100% 300 rows \(299 stored, 1 refused\)/);
    expect(out.text()).not.toContain('\r');
  });

  it('on a terminal redraws one bar in place', () => {
    const out = output(true);
    const progress = new JobProgress(out.stream);
    progress.show(job({ progress: 50, processed: 5 }));
    progress.done();
    // Carriage return and "erase line", then the bar.
    expect(out.text().startsWith('\r\u001b[2K')).toBe(true);
    expect(out.text()).toMatch(/\[#{15}-{15}\] running 50% 5 rows/);
    expect(out.text().endsWith('\n')).toBe(true);
  });
});
