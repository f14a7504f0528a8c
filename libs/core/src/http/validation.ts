import {
  applyDecorators,
  ParseUUIDPipe,
  ValidationPipe,
  type ArgumentMetadata,
  type Type,
  type ValidationError,
} from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import {
  getMetadataStorage,
  IsISO8601,
  Matches,
  ValidateIf,
  validateSync,
  type ValidatorOptions,
} from 'class-validator';
import { ValidationFailedError, type FieldError } from '../errors/domain-error';
import { findUnacceptableText, unacceptableTextError } from './input-limits';

function flatten(errors: ValidationError[], prefix = ''): FieldError[] {
  return errors.flatMap((e) => {
    const field = prefix ? `${prefix}.${e.property}` : e.property;
    const own = Object.values(e.constraints ?? {}).map((message) => ({ field, message }));
    return [...own, ...flatten(e.children ?? [], field)];
  });
}

const VALIDATOR_OPTIONS: ValidatorOptions = {
  whitelist: true,
  forbidNonWhitelisted: true,
  validationError: { target: false, value: false },
};

/** Unknown fields named in one answer; the rest are not worth the work or the bytes. */
const MAX_UNKNOWN_FIELDS_REPORTED = 20;
const knownFieldsByType = new WeakMap<object, ReadonlySet<string>>();

/** The fields a DTO class declares: those with at least one class-validator decorator. */
function knownFields(type: Type): ReadonlySet<string> {
  let known = knownFieldsByType.get(type);
  if (known === undefined) {
    const metadata = getMetadataStorage().getTargetValidationMetadatas(type, '', true, false);
    known = new Set(metadata.map((m) => m.propertyName));
    knownFieldsByType.set(type, known);
  }
  return known;
}

/**
 * The plain value's fields that `type` does not declare. class-validator's whitelist cannot be
 * relied on for this: it checks the instance class-transformer built, and class-transformer
 * silently drops every key that names an inherited method (`toString`, `hasOwnProperty`,
 * `constructor`, ...), so such keys were accepted while other unknown ones were refused.
 * Checking the plain keys before the transformation refuses all of them alike.
 */
function unknownFields(type: Type, plain: unknown): FieldError[] {
  if (typeof plain !== 'object' || plain === null || Array.isArray(plain)) return [];
  const known = knownFields(type);
  // A class without rules (String for a route parameter, say) has nothing to compare with.
  if (known.size === 0) return [];
  const unknown: FieldError[] = [];
  for (const field of Object.keys(plain)) {
    if (known.has(field)) continue;
    unknown.push({ field, message: `property ${field} should not exist` });
    if (unknown.length === MAX_UNKNOWN_FIELDS_REPORTED) break;
  }
  return unknown;
}

/** The global pipe: unknown fields are refused (before anything copies them), then validated. */
class KeelValidationPipe extends ValidationPipe {
  override transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const unknown = metadata.metatype ? unknownFields(metadata.metatype, value) : [];
    if (unknown.length > 0) return Promise.reject(new ValidationFailedError(unknown));
    return super.transform(value, metadata) as Promise<unknown>;
  }
}

/** The one validation setup: unknown fields are rejected, values are converted to the DTO's types. */
export function createValidationPipe(): ValidationPipe {
  return new KeelValidationPipe({
    ...VALIDATOR_OPTIONS,
    transform: true,
    exceptionFactory: (errors) => new ValidationFailedError(flatten(errors)),
  });
}

/**
 * The pipe's checks for a value that does not come with a request (a row of an upload):
 * the same DTO, the same rules, the same messages.
 */
export function validateAs<T extends object>(
  type: Type<T>,
  plain: unknown,
): { value: T; errors?: undefined } | { value?: undefined; errors: FieldError[] } {
  if (typeof plain !== 'object' || plain === null || Array.isArray(plain)) {
    return { errors: [{ field: '', message: 'must be an object' }] };
  }
  const badText = findUnacceptableText(plain, '');
  if (badText !== undefined) return { errors: [unacceptableTextError(badText)] };
  const unknown = unknownFields(type, plain);
  if (unknown.length > 0) return { errors: unknown };
  const value = plainToInstance(type, plain);
  const errors = validateSync(value, VALIDATOR_OPTIONS);
  return errors.length > 0 ? { errors: flatten(errors) } : { value };
}

/** For `:id` route parameters: a malformed id is a 400 naming the parameter, not a 500 from the database. */
export function uuidParam(name = 'id'): ParseUUIDPipe {
  return new ParseUUIDPipe({
    exceptionFactory: () =>
      new ValidationFailedError([{ field: name, message: `${name} must be a UUID` }]),
  });
}

/**
 * Like `@IsOptional()`, but only for an absent field: `null` is still validated (and
 * refused by the field's type check) instead of slipping through as "not given".
 */
export function IsOmittable(): PropertyDecorator {
  return ValidateIf((_object: object, value: unknown) => value !== undefined);
}

/**
 * RFC 3339 with a year from 1 to 9999. `IsISO8601` alone also takes week dates (`2020-W01`),
 * signed years (`-4714-01-01`) and year 0, which Postgres cannot cast (a 500, not a 400).
 */
const RFC3339_TIMESTAMP =
  /^(?!0000)\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?(?:Z|[+-]\d{2}:\d{2})$/i;

/** A timestamp a client sends: a real date and time, read alike by JavaScript and Postgres. */
export function IsTimestamp(): PropertyDecorator {
  return applyDecorators(
    Matches(RFC3339_TIMESTAMP, {
      message: '$property must be an RFC 3339 timestamp, like 2026-01-31T09:30:00Z',
    }),
    IsISO8601({ strict: true }),
  );
}
