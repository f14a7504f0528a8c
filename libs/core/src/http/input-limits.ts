import { DomainError, ValidationFailedError, type FieldError } from '../errors/domain-error';

/**
 * Bounds on a JSON body, checked on its text before it is parsed. class-transformer and
 * class-validator recurse over a body (about 1,500 levels overflow the stack) and visit every
 * key (50,000 unknown keys in 0.5 MB block the event loop for seconds). No Keel body needs
 * more than a few levels and a few dozen members; these leave a wide margin.
 */
export const JSON_BODY_LIMITS = {
  /** Objects and arrays nested in one another. */
  maxDepth: 32,
  /** Object members and array items in the whole body, counted as containers plus commas. */
  maxMembers: 10_000,
} as const;

export class BodyTooComplexError extends DomainError {
  constructor(limit: string) {
    super('validation', 'REQUEST.BODY_TOO_COMPLEX', `The JSON body ${limit}.`);
  }
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const OPEN_ARRAY = 0x5b;
const CLOSE_OBJECT = 0x7d;
const CLOSE_ARRAY = 0x5d;
const COMMA = 0x2c;

/**
 * One pass over JSON text, without parsing it: which limit it exceeds, or undefined. Strings
 * are skipped with `indexOf` (their contents cannot nest), so the cost is about that of a copy.
 * Malformed text is left to the parser, which refuses it.
 */
export function exceededJsonLimit(
  text: string,
  { maxDepth, maxMembers }: { maxDepth: number; maxMembers: number } = JSON_BODY_LIMITS,
): string | undefined {
  let depth = 0;
  let members = 0;
  for (let i = 0; i < text.length; i++) {
    switch (text.charCodeAt(i)) {
      case QUOTE:
        i = endOfString(text, i);
        break;
      case OPEN_OBJECT:
      case OPEN_ARRAY:
        if (++depth > maxDepth) return `nests deeper than ${maxDepth} levels`;
        if (++members > maxMembers) return `has more than ${maxMembers} members and items`;
        break;
      case CLOSE_OBJECT:
      case CLOSE_ARRAY:
        depth--;
        break;
      case COMMA:
        if (++members > maxMembers) return `has more than ${maxMembers} members and items`;
        break;
    }
  }
  return undefined;
}

/** The index of the quote that closes the string opened at `start` (or the end of the text). */
function endOfString(text: string, start: number): number {
  let end = text.indexOf('"', start + 1);
  while (end !== -1) {
    let backslashes = 0;
    while (text.charCodeAt(end - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return end;
    end = text.indexOf('"', end + 1);
  }
  return text.length;
}

/**
 * The rule for every string that enters: well-formed UTF-16 (a lone surrogate makes
 * `encodeURI`, hence `isEmail`, throw, and breaks JSON inserts) and no NUL, which Postgres
 * refuses in `text` and `jsonb`.
 */
export function isAcceptableText(text: string): boolean {
  return text.isWellFormed() && !text.includes('\0');
}

/**
 * The path of the first string, key or value, in `value` that is not acceptable text.
 * Walks what a parser made (JSON within the limits above, a query string, route parameters).
 */
export function findUnacceptableText(value: unknown, path: string): string | undefined {
  if (typeof value === 'string') return isAcceptableText(value) ? undefined : path;
  if (typeof value !== 'object' || value === null) return undefined;
  const isArray = Array.isArray(value);
  for (const key of Object.keys(value)) {
    const child = isArray ? `${path}[${key}]` : path ? `${path}.${key}` : key;
    if (!isArray && !isAcceptableText(key)) return child;
    const found = findUnacceptableText((value as Record<string, unknown>)[key], child);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** Checks a request's body, query and route parameters; the error names the first bad field. */
export function checkRequestText(request: {
  body?: unknown;
  query?: unknown;
  params?: unknown;
}): ValidationFailedError | undefined {
  const field =
    findUnacceptableText(request.params, '') ??
    findUnacceptableText(request.query, '') ??
    findUnacceptableText(request.body, '');
  return field === undefined
    ? undefined
    : new ValidationFailedError([unacceptableTextError(field)]);
}

export function unacceptableTextError(path: string): FieldError {
  const field = path === '' ? 'body' : path;
  return { field, message: `${field} must be well-formed Unicode text without NUL characters` };
}
