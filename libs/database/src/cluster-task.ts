import type { DataSource, EntityManager } from 'typeorm';

/**
 * Runs `work` at most once per `intervalSeconds` across every process on the database, for
 * housekeeping that each replica schedules but the cluster needs done once (deleting expired
 * rows). In one transaction: the advisory lock named after the task, taken with try (the way
 * the outbox relay claims its batches: a process that finds it held skips at once), then the
 * task's row in `cluster_tasks` moved on if its last run is at least the interval old. Answers
 * whether `work` ran here; `work` rolls back with the claim if it throws.
 */
export async function runOncePerCluster(
  dataSource: DataSource,
  name: string,
  intervalSeconds: number,
  work: (tx: EntityManager) => Promise<void>,
): Promise<boolean> {
  return dataSource.transaction(async (tx) => {
    const [{ locked }] = await tx.query<Array<{ locked: boolean }>>(
      `SELECT pg_try_advisory_xact_lock(hashtext($1)) AS locked`,
      [`keel.cluster-task.${name}`],
    );
    if (!locked) return false;
    const claimed = await tx.query<unknown[]>(
      `INSERT INTO cluster_tasks (name, last_run_at) VALUES ($1, now())
       ON CONFLICT (name) DO UPDATE SET last_run_at = now()
       WHERE cluster_tasks.last_run_at <= now() - make_interval(secs => $2)
       RETURNING name`,
      [name, intervalSeconds],
    );
    if (claimed.length === 0) return false;
    await work(tx);
    return true;
  });
}
