import type TestAgent from 'supertest/lib/agent';
import type { SignedIn } from './factories';

export interface JobBody {
  id: string;
  type: string;
  ownerId: string;
  state: 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
  progress: number;
  processed: number;
  succeeded: number;
  failed: number;
  errors: Array<{ line: number; message: string }>;
  reason: string | null;
  result: Record<string, unknown> | null;
  attempts: number;
}

/** Uploads `body` to `POST /v1/items/imports` and returns the accepted job. */
export async function startImport(
  http: TestAgent,
  who: SignedIn,
  body: string | Buffer,
  type = 'text/csv',
): Promise<JobBody> {
  const res = await http
    .post('/v1/items/imports')
    .set(who.auth)
    .set('content-type', type)
    .send(body)
    .expect(202);
  return res.body as JobBody;
}

export async function getJob(http: TestAgent, who: SignedIn, id: string): Promise<JobBody> {
  return (await http.get(`/v1/jobs/${id}`).set(who.auth).expect(200)).body as JobBody;
}

/** Polls `GET /v1/jobs/:id` until `check` holds; returns the job as it then was. */
export async function jobWhen(
  http: TestAgent,
  who: SignedIn,
  id: string,
  check: (job: JobBody) => boolean,
  timeoutMs = 90_000,
): Promise<JobBody> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = await getJob(http, who, id);
    if (check(job)) return job;
    if (Date.now() > deadline)
      throw new Error(`job not as expected in time: ${JSON.stringify(job)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Polls until the job has ended (succeeded, failed or cancelled); returns it. */
export function finishedJob(
  http: TestAgent,
  who: SignedIn,
  id: string,
  timeoutMs = 60_000,
): Promise<JobBody> {
  return jobWhen(http, who, id, (job) => !['queued', 'running'].includes(job.state), timeoutMs);
}

/** A CSV of `rows` valid items named `${prefix} <n>`, with a header row. */
export function itemsCsv(rows: number, prefix = 'Row'): string {
  const lines = ['name,price,description'];
  for (let i = 1; i <= rows; i++)
    lines.push(`${prefix} ${i},${i % 1000}.${i % 100},Item number ${i}`);
  return `${lines.join('\n')}\n`;
}
