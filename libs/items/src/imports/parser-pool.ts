import { inSpan, jobsConfig } from '@keel/core';
import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { join } from 'node:path';
import { Piscina } from 'piscina';
import type { WindowInput } from './record-parser';
import type { ParsedWindow } from './parse-worker';

/**
 * The threads run the same code as the pool: the compiled file next to this one in dist/,
 * or, when this file runs from TypeScript sources (the tests), the sources themselves
 * through a bootstrap that transpiles them, so a stale or missing build is never tested.
 */
function workerFile(): string {
  return __filename.endsWith('.ts')
    ? join(__dirname, 'parse-worker.source.js')
    : join(__dirname, 'parse-worker.js');
}

/**
 * Worker threads that parse and validate uploads, so a large import never holds up the
 * event loop that serves requests. Started on first use: processes that run no imports
 * start no threads.
 */
@Injectable()
export class ItemParserPool implements OnApplicationShutdown {
  private pool?: Piscina<WindowInput, ParsedWindow>;

  constructor(@Inject(jobsConfig.KEY) private readonly cfg: ConfigType<typeof jobsConfig>) {}

  parse(input: WindowInput): Promise<ParsedWindow> {
    this.pool ??= new Piscina({
      filename: workerFile(),
      minThreads: 0,
      maxThreads: this.cfg.parseThreads,
      idleTimeout: 30_000,
    });
    const pool = this.pool;
    // A child of the job's span: one per window parsed on a thread.
    return inSpan(
      'items.import parse',
      { attributes: { 'keel.import.bytes': input.bytes.length } },
      () => pool.run(input),
    );
  }

  async onApplicationShutdown(): Promise<void> {
    await this.pool?.destroy();
  }
}
