import { ParseUUIDPipe, ValidationPipe, type Type, type ValidationError } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { ValidateIf, validateSync, type ValidatorOptions } from 'class-validator';
import { ValidationFailedError, type FieldError } from '../errors/domain-error';

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

/** The one validation setup: unknown fields are rejected, values are converted to the DTO's types. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
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
