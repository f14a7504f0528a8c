/**
 * Splits a window of an upload into records: CSV (RFC 4180: quoted fields may hold commas,
 * doubled quotes and line breaks) or NDJSON. Pure and synchronous; it runs in the parser
 * threads. Offsets are in bytes of the window, lines are the upload's 1-based line numbers.
 */

export const IMPORT_FORMATS = ['csv', 'ndjson'] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

export const IMPORT_COLUMNS = ['name', 'price', 'description'] as const;
const REQUIRED_COLUMNS = ['name', 'price'];
/**
 * The export's other fields, which an import accepts and ignores (the server gives each row a
 * new id, the importer as owner, version 1 and its own times), so an export imports as it is.
 * Any other column or field is refused, so a typo is not silently dropped.
 */
export const IGNORED_FIELDS = ['id', 'ownerId', 'version', 'createdAt', 'updatedAt'] as const;
const IGNORED_COLUMNS: readonly string[] = IGNORED_FIELDS.map((f) => f.toLowerCase());

export interface WindowInput {
  format: ImportFormat;
  bytes: Uint8Array;
  /** The window ends where the upload does. */
  eof: boolean;
  /** Line number of the window's first byte. */
  line: number;
  /** The CSV header once read; null before it (and for NDJSON). */
  columns: string[] | null;
  maxRecordBytes: number;
}

export interface RawRecord {
  line: number;
  /** Byte offset in the window just after the record (and its line break). */
  end: number;
  nextLine: number;
  fields?: Record<string, unknown>;
  error?: string;
}

export interface WindowResult {
  records: RawRecord[];
  /** The CSV header, when this window held it. */
  header?: { columns: string[]; end: number; nextLine: number };
  /** Bytes used: up to the end of the last whole record. */
  consumed: number;
  /** A problem with the whole file: the job fails with this message. */
  fatal?: string;
  /** The record at `consumed` has no end within `maxRecordBytes`: the caller skips its first line. */
  oversized?: { line: number };
}

const decoder = new TextDecoder('utf-8', { fatal: true });
const NEWLINE = 0x0a;

export function parseWindow(input: WindowInput): WindowResult {
  const { bytes, eof } = input;
  const usable = eof ? bytes.length : bytes.lastIndexOf(NEWLINE) + 1;
  const nul = bytes.subarray(0, usable).indexOf(0);
  if (nul >= 0) {
    return fatal(`The file is not text: line ${lineAt(bytes, nul, input.line)} holds a NUL byte.`);
  }
  let text: string;
  try {
    text = decoder.decode(bytes.subarray(0, usable));
  } catch {
    return fatal(`The file is not UTF-8 text (line ${firstBadLine(bytes, usable, input.line)}).`);
  }

  const result: WindowResult = { records: [], consumed: 0 };
  const bytesAt = byteCounter(text);
  let columns = input.columns;
  let line = input.line;
  let pos = line === 1 && text.startsWith('\uFEFF') ? 1 : 0;
  while (pos < text.length) {
    const scan = input.format === 'csv' ? scanCsvRecord(text, pos, eof) : scanLine(text, pos, eof);
    if (scan === undefined) break;
    const start = bytesAt(pos);
    const end = bytesAt(scan.end);
    const nextLine = line + scan.newlines;
    const size = end - start;
    pos = scan.end;
    if (scan.blank) {
      result.consumed = end;
      line = nextLine;
      continue;
    }
    const record: RawRecord = { line, end, nextLine };
    if (size > input.maxRecordBytes) {
      record.error = `the record is longer than ${input.maxRecordBytes} bytes`;
    } else if (scan.error !== undefined) {
      record.error = scan.error;
    } else if (input.format === 'ndjson') {
      Object.assign(record, parseJsonLine(scan.fields[0] ?? ''));
    } else if (columns === null) {
      const header = readHeader(scan.fields);
      if ('fatal' in header) return fatal(header.fatal);
      columns = header.columns;
      result.header = { columns, end, nextLine };
      result.consumed = end;
      line = nextLine;
      continue;
    } else {
      Object.assign(record, toFields(scan.fields, columns));
    }
    result.records.push(record);
    result.consumed = end;
    line = nextLine;
  }
  if (pos < text.length && eof) {
    // Only an unclosed quote leaves text unread at the end of the file.
    result.records.push({
      line,
      end: bytes.length,
      nextLine: line + countNewlines(text, pos, text.length),
      error: 'a quoted field is not closed before the end of the file',
    });
    result.consumed = bytes.length;
  } else if (result.consumed === 0 && !eof && bytes.length > input.maxRecordBytes) {
    result.oversized = { line };
  }
  return result;
}

interface Scan {
  /** Character index after the record and its line break. */
  end: number;
  newlines: number;
  fields: string[];
  blank?: boolean;
  error?: string;
}

function scanLine(text: string, pos: number, eof: boolean): Scan | undefined {
  const nl = text.indexOf('\n', pos);
  if (nl < 0 && !eof) return undefined;
  const end = nl < 0 ? text.length : nl + 1;
  const content = text.slice(pos, nl < 0 ? end : nl).replace(/\r$/, '');
  return { end, newlines: nl < 0 ? 0 : 1, fields: [content], blank: content.trim() === '' };
}

const UNQUOTED_END = /[,\n]/g;

/** One CSV record from `pos`, or undefined if it does not end within `text`. */
function scanCsvRecord(text: string, pos: number, eof: boolean): Scan | undefined {
  const fields: string[] = [];
  let i = pos;
  let newlines = 0;
  if (text[i] === '\n' || (text[i] === '\r' && text[i + 1] === '\n')) {
    return { end: text.indexOf('\n', i) + 1, newlines: 1, fields, blank: true };
  }
  for (;;) {
    let value: string;
    if (text[i] === '"') {
      value = '';
      i++;
      for (;;) {
        const quote = text.indexOf('"', i);
        if (quote < 0) return undefined;
        newlines += countNewlines(text, i, quote);
        value += text.slice(i, quote);
        if (text[quote + 1] === '"') {
          value += '"';
          i = quote + 2;
          continue;
        }
        i = quote + 1;
        break;
      }
      if (text[i] === '\r' && text[i + 1] === '\n') i++;
      if (i < text.length && text[i] !== ',' && text[i] !== '\n') {
        return skipLine(
          text,
          i,
          newlines,
          'a closing quote must be followed by a comma or the end of the line',
        );
      }
    } else {
      UNQUOTED_END.lastIndex = i;
      const match = UNQUOTED_END.exec(text);
      const stop = match ? match.index : text.length;
      value = text.slice(i, stop);
      if (text[stop] !== ',') value = value.replace(/\r$/, '');
      if (value.includes('"')) {
        return skipLine(
          text,
          i,
          newlines,
          'a field with a quote must be quoted, with the quote doubled',
        );
      }
      i = stop;
    }
    fields.push(value);
    if (text[i] === ',') {
      i++;
      continue;
    }
    if (text[i] === '\n') return { end: i + 1, newlines: newlines + 1, fields };
    // The end of the text: a record only if the file ends here.
    return eof ? { end: i, newlines, fields } : undefined;
  }
}

/** A record with bad quoting: reported, and skipped to the end of its line. */
function skipLine(text: string, from: number, newlines: number, error: string): Scan {
  const nl = text.indexOf('\n', from);
  return nl < 0
    ? { end: text.length, newlines, fields: [], error }
    : { end: nl + 1, newlines: newlines + 1, fields: [], error };
}

function readHeader(fields: string[]): { columns: string[] } | { fatal: string } {
  const columns = fields.map((f) => f.trim().toLowerCase());
  const expected = `expected the columns ${IMPORT_COLUMNS.join(', ')} (description is optional; the export's ${IGNORED_FIELDS.join(', ')} are ignored)`;
  const unknown = columns.find(
    (c) => !(IMPORT_COLUMNS as readonly string[]).includes(c) && !IGNORED_COLUMNS.includes(c),
  );
  if (unknown !== undefined)
    return { fatal: `Unknown column "${unknown}" in the header: ${expected}.` };
  const repeated = columns.find((c, i) => columns.indexOf(c) !== i);
  if (repeated !== undefined) return { fatal: `Column "${repeated}" appears twice in the header.` };
  const missing = REQUIRED_COLUMNS.filter((c) => !columns.includes(c));
  if (missing.length > 0)
    return { fatal: `The header lacks ${missing.join(' and ')}: ${expected}.` };
  return { columns };
}

function toFields(values: string[], columns: string[]): Pick<RawRecord, 'fields' | 'error'> {
  if (values.length !== columns.length) {
    return {
      error: `expected ${columns.length} fields (${columns.join(', ')}), found ${values.length}`,
    };
  }
  const fields: Record<string, unknown> = {};
  columns.forEach((column, i) => {
    // An empty optional cell means "not given", as an absent JSON field does.
    if (column === 'description' && values[i] === '') return;
    if (IGNORED_COLUMNS.includes(column)) return;
    fields[column] = values[i];
  });
  return { fields };
}

function parseJsonLine(line: string): Pick<RawRecord, 'fields' | 'error'> {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    return { error: `not valid JSON (${(error as Error).message})` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { error: 'each line must be a JSON object' };
  }
  const fields = value as Record<string, unknown>;
  for (const field of IGNORED_FIELDS) delete fields[field];
  return { fields };
}

function fatal(message: string): WindowResult {
  return { records: [], consumed: 0, fatal: message };
}

/** Byte offsets of increasing character positions, in one pass over the text. */
function byteCounter(text: string): (charPos: number) => number {
  let lastChar = 0;
  let lastByte = 0;
  return (charPos) => {
    if (charPos !== lastChar) {
      lastByte += Buffer.byteLength(text.slice(lastChar, charPos));
      lastChar = charPos;
    }
    return lastByte;
  };
}

function countNewlines(text: string, from: number, to: number): number {
  let n = 0;
  for (let i = text.indexOf('\n', from); i >= 0 && i < to; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

function lineAt(bytes: Uint8Array, index: number, firstLine: number): number {
  let line = firstLine;
  for (let i = bytes.indexOf(NEWLINE); i >= 0 && i < index; i = bytes.indexOf(NEWLINE, i + 1))
    line++;
  return line;
}

function firstBadLine(bytes: Uint8Array, usable: number, firstLine: number): number {
  let line = firstLine;
  for (let start = 0; start < usable; line++) {
    const nl = bytes.indexOf(NEWLINE, start);
    const end = nl < 0 || nl >= usable ? usable : nl + 1;
    try {
      decoder.decode(bytes.subarray(start, end));
    } catch {
      return line;
    }
    start = end;
  }
  return line;
}
