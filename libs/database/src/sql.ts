import { Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import { DataSource } from 'typeorm';

/** A statement of a hot path: its name makes Postgres plan it once per connection. */
export interface Statement {
  readonly name: string;
  readonly text: string;
}

export function statement(name: string, text: string): Statement {
  return { name, text };
}

/**
 * Hot paths' SQL, below TypeORM: named (prepared) statements on the pool TypeORM already owns,
 * so the same bounds apply (pool size, acquire, statement and query timeouts, stuck
 * connections). TypeORM builds each query anew and maps rows through entity metadata, which was
 * most of a cache miss's time and of a create's. Entities, migrations and the cold paths stay
 * on TypeORM. Rows come back as the driver gives them (snake_case columns, `Date`s, numerics
 * as strings).
 */
@Injectable()
export class Sql {
  constructor(private readonly dataSource: DataSource) {}

  async rows<T>(statement: Statement, values: unknown[]): Promise<T[]> {
    // TypeORM's postgres driver keeps its pg Pool as `master`; both profiles use it.
    const pool = (this.dataSource.driver as unknown as { master: Pool }).master;
    const result = await pool.query({ name: statement.name, text: statement.text, values });
    return result.rows as T[];
  }
}
