import type { DataSource } from 'typeorm';

interface PoolLike {
  on(event: 'release', listener: (error: Error | undefined, client: ClientLike) => void): void;
}
interface ClientLike {
  // pg's own name; its public `activeQuery` getter is deprecated and warns on every read.
  _getActiveQuery?: () => unknown;
  end(): Promise<void>;
}

/**
 * When `query_timeout` fires, pg hands the error back but keeps the connection waiting for
 * the lost reply, and the pool would lend it out again: during a partition every request
 * behind it times out, and after it the connection stays stuck until TCP's retransmission
 * backoff delivers the old reply, seconds later. A connection released with a query still
 * unanswered is ended (pg destroys its socket) and the pool opens a fresh one when asked.
 */
export function closeStuckConnections(dataSource: DataSource): void {
  const pool = (dataSource.driver as unknown as { master?: PoolLike }).master;
  pool?.on('release', (_error, client) => {
    if (client._getActiveQuery?.()) void client.end().catch(() => undefined);
  });
}
