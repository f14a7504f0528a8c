import { validateAs } from '@keel/core';
import { CreateItemDto } from '../dto/item.dto';
import { parseWindow, type WindowInput, type WindowResult } from './record-parser';

export interface ParsedRow {
  line: number;
  end: number;
  nextLine: number;
  item?: { name: string; description?: string; price: string };
  error?: string;
}

export type ParsedWindow = Omit<WindowResult, 'records'> & { rows: ParsedRow[] };

/**
 * A parser thread's task: split a window of an upload into records and check each exactly
 * as `POST /v1/items` checks its body (the same DTO and rules).
 */
export default function parseAndValidate(input: WindowInput): ParsedWindow {
  const { records, ...rest } = parseWindow(input);
  const rows = records.map(({ fields, error, ...at }): ParsedRow => {
    if (fields === undefined) return { ...at, error };
    const checked = validateAs(CreateItemDto, fields);
    if (checked.errors) return { ...at, error: checked.errors.map((e) => e.message).join('; ') };
    const { name, description, price } = checked.value;
    return { ...at, item: { name, description, price } };
  });
  return { ...rest, rows };
}
