import fc from 'fast-check';
import { parseWindow, type ImportFormat, type RawRecord } from './record-parser';

const utf8 = (text: string) => Buffer.from(text);

function parseAll(text: string, format: ImportFormat = 'csv', maxRecordBytes = 1 << 20) {
  return parseWindow({
    format,
    bytes: utf8(text),
    eof: true,
    line: 1,
    columns: null,
    maxRecordBytes,
  });
}

/** Feeds `bytes` the way the import job does: windows larger than the record limit, or the rest. */
function parseInWindows(bytes: Buffer, windowBytes: number, maxRecordBytes: number) {
  const records: RawRecord[] = [];
  let offset = 0;
  let line = 1;
  let columns: string[] | null = null;
  while (offset < bytes.length) {
    const end = Math.min(bytes.length, offset + windowBytes);
    const result = parseWindow({
      format: 'csv',
      bytes: bytes.subarray(offset, end),
      eof: end === bytes.length,
      line,
      columns,
      maxRecordBytes,
    });
    if (result.fatal || result.oversized) throw new Error(JSON.stringify(result));
    if (result.header) ({ columns, nextLine: line } = result.header);
    for (const r of result.records) {
      records.push({ ...r, end: offset + r.end });
      line = r.nextLine;
    }
    offset += result.consumed;
  }
  return records;
}

describe('parseWindow', () => {
  it('reads RFC 4180 CSV: quotes, doubled quotes, commas and line breaks in fields, CRLF, a BOM', () => {
    const result = parseAll(
      '\uFEFFname,price,description\r\n"a ""b"", c",1,"x\r\ny"\r\nplain,2,\r\n',
    );
    expect(result.header?.columns).toEqual(['name', 'price', 'description']);
    expect(result.records.map((r) => [r.line, r.fields])).toEqual([
      [2, { name: 'a "b", c', price: '1', description: 'x\r\ny' }],
      [4, { name: 'plain', price: '2' }],
    ]);
  });

  it("reads the export's layout: its id, ownerId, version and times are accepted and ignored", () => {
    const exported = [
      'id,name,description,price,ownerId,version,createdAt,updatedAt',
      '0190a0b0-0000-7000-8000-000000000001,Desk,"oak, waxed",249.90,0190a0b0-0000-7000-8000-0000000000aa,3,2026-01-01T00:00:00.000Z,2026-01-02T00:00:00.000Z',
    ].join('\r\n');
    const csv = parseAll(exported);
    expect(csv.fatal).toBeUndefined();
    expect(csv.records.map((r) => r.fields)).toEqual([
      { name: 'Desk', description: 'oak, waxed', price: '249.90' },
    ]);
    const line = JSON.stringify({
      id: 'x',
      name: 'Desk',
      description: '',
      price: '249.90',
      ownerId: 'y',
      version: 3,
      createdAt: 'z',
      updatedAt: 'z',
    });
    expect(parseAll(line, 'ndjson').records.map((r) => r.fields)).toEqual([
      { name: 'Desk', description: '', price: '249.90' },
    ]);
  });

  it('still refuses any other column, and keeps any other NDJSON field for validation', () => {
    expect(parseAll('id,name,price,owner\n1,a,1,x\n').fatal).toMatch(/Unknown column "owner"/);
    expect(
      parseAll('{"name":"a","price":"1","role":"admin"}', 'ndjson').records[0]?.fields,
    ).toEqual({ name: 'a', price: '1', role: 'admin' });
  });

  it('gives byte offsets, not character offsets, with multibyte text', () => {
    const text = 'name,price\nÄpfel €,1\n';
    const { records } = parseAll(text);
    expect(records[0].end).toBe(utf8(text).length);
  });

  it('stops before a record that does not end in the window, unless the file ends there', () => {
    const text = 'name,price\nA,1\n"B\n';
    const partial = parseWindow({
      format: 'csv',
      bytes: utf8(text),
      eof: false,
      line: 1,
      columns: null,
      maxRecordBytes: 1000,
    });
    expect(partial.records.map((r) => r.fields)).toEqual([{ name: 'A', price: '1' }]);
    expect(partial.consumed).toBe(utf8('name,price\nA,1\n').length);
    const atEnd = parseAll(text);
    expect(atEnd.records[1]).toMatchObject({ line: 3, error: expect.stringMatching(/not closed/) });
  });

  it('reports a record with no end within the limit as oversized', () => {
    const result = parseWindow({
      format: 'ndjson',
      bytes: utf8('x'.repeat(200)),
      eof: false,
      line: 7,
      columns: null,
      maxRecordBytes: 100,
    });
    expect(result).toMatchObject({ records: [], consumed: 0, oversized: { line: 7 } });
  });

  it('finds NUL bytes and invalid UTF-8 with their line', () => {
    expect(
      parseWindow({
        format: 'csv',
        bytes: Buffer.from('a\nb\n\0'),
        eof: true,
        line: 1,
        columns: null,
        maxRecordBytes: 99,
      }).fatal,
    ).toMatch(/line 3 holds a NUL byte/);
    expect(
      parseWindow({
        format: 'csv',
        bytes: Buffer.from([0x61, 0x0a, 0xff, 0x0a]),
        eof: true,
        line: 5,
        columns: null,
        maxRecordBytes: 99,
      }).fatal,
    ).toMatch(/line 6/);
  });

  it('gives the same records however the file is cut into windows', () => {
    const field = fc.string({
      unit: fc.constantFrom('a', 'é', '€', ',', '"', '\n', ' ', '1'),
      maxLength: 8,
    });
    const quote = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
    fc.assert(
      fc.property(
        fc.array(fc.tuple(field, field, field), { minLength: 1, maxLength: 30 }),
        fc.integer({ min: 0, max: 200 }),
        (rows, extra) => {
          const csv =
            ['name,price,description', ...rows.map((r) => r.map(quote).join(','))].join('\n') +
            '\n';
          const bytes = utf8(csv);
          const maxRecordBytes = 100;
          const whole = parseAll(csv, 'csv', maxRecordBytes).records;
          expect(parseInWindows(bytes, maxRecordBytes + 1 + extra, maxRecordBytes)).toEqual(whole);
          expect(
            whole.map(
              (r) => r.fields && [r.fields.name, r.fields.price, r.fields.description ?? ''],
            ),
          ).toEqual(rows);
        },
      ),
    );
  });
});
