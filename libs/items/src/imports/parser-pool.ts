import { jobsConfig } from '@keel/core';
import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { join, relative, resolve } from 'node:path';
import { Piscina } from 'piscina';
import type { WindowInput } from './record-parser';
import type { ParsedWindow } from './parse-worker';

/**
 * The threads run compiled JavaScript: next to this file in dist/, and from dist/ as well
 * when this file runs from TypeScript sources (the tests; `npm test` builds first).
 */
function workerFile(): string {
  if (!__filename.endsWith('.ts')) return join(__dirname, 'parse-worker.js');
  const root = resolve(__dirname, '../../../..');
  return join(root, 'dist', relative(root, __dirname), 'parse-worker.js');
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
    return this.pool.run(input);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.pool?.destroy();
  }
}
