import type { ConfigType } from '@nestjs/config';
import type { jobsConfig } from '@keel/core';
import parseAndValidate from './parse-worker';
import { ItemParserPool } from './parser-pool';
import type { WindowInput } from './record-parser';

describe('ItemParserPool', () => {
  const pool = new ItemParserPool({ parseThreads: 1 } as ConfigType<typeof jobsConfig>);
  afterAll(() => pool.onApplicationShutdown());

  it('runs the current TypeScript sources in its threads, whether or not dist/ is built or fresh', async () => {
    const input: WindowInput = {
      format: 'csv',
      // The export's layout, valid and refused rows: what the thread answers depends on the
      // parser's and the DTO's current code.
      bytes: Buffer.from(
        'id,name,description,price,ownerId,version,createdAt,updatedAt\r\n' +
          '1,Desk,"oak, waxed",249.90,2,1,t,t\r\n' +
          '3,Chair,,12.345,4,1,t,t\r\n',
      ),
      eof: true,
      line: 1,
      columns: null,
      maxRecordBytes: 1 << 20,
    };
    const inThread = await pool.parse(input);
    expect(inThread).toEqual(parseAndValidate(input));
    expect(inThread.rows.map((r) => r.item ?? r.error)).toEqual([
      { name: 'Desk', description: 'oak, waxed', price: '249.90' },
      expect.stringMatching(/price must be a decimal string/),
    ]);
  });
});
