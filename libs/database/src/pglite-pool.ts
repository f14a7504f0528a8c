import type { PGliteOptions } from '@electric-sql/pglite';
import { PGliteDriver } from 'typeorm-pglite';
import { PGlitePool } from 'typeorm-pglite/dist/pglite-pool';

type ConnectCallback = Parameters<PGlitePool['connect']>[0];

/** How long a request may wait for the single embedded connection before giving up. */
const ACQUIRE_TIMEOUT_MS = 15_000;

/**
 * PGlite is one Postgres session. typeorm-pglite hands that session to every query
 * runner at once, so two requests' transactions interleave and one's COMMIT can
 * commit the other's work. This pool lends the session to one holder at a time:
 * a transaction owns it from BEGIN to COMMIT/ROLLBACK, everyone else waits in order.
 */
export class SerializedPGlitePool extends PGlitePool {
  private tail: Promise<void> = Promise.resolve();

  override connect(callback: ConnectCallback): Promise<void> {
    let release!: () => void;
    const turn = new Promise<void>((resolve) => (release = resolve));
    const previous = this.tail;
    this.tail = previous.then(() => turn);

    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      callback(new Error('Database connection acquire timed out'), null, () => undefined);
    }, ACQUIRE_TIMEOUT_MS);

    return previous.then(() => {
      clearTimeout(timer);
      if (timedOut) {
        release();
        return;
      }
      let released = false;
      return super.connect((error, client) =>
        callback(error, client, () => {
          if (released) return;
          released = true;
          release();
        }),
      );
    });
  }
}

/** The `driver` option TypeORM's postgres dialect takes: an object with a `Pool` class. */
export function pgliteDriver(options: PGliteOptions): { Pool: typeof SerializedPGlitePool } {
  // Sets the options of typeorm-pglite's process-wide PGlite instance.
  new PGliteDriver(options);
  return { Pool: SerializedPGlitePool };
}
