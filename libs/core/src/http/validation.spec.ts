import { IsString } from 'class-validator';
import { ValidationFailedError } from '../errors/domain-error';
import { createValidationPipe, validateAs } from './validation';

class NameDto {
  @IsString()
  name!: string;
}

describe('unknown fields', () => {
  const INHERITED = ['toString', 'hasOwnProperty', 'constructor', 'valueOf', '__proto__'];

  it.each(INHERITED)('refuses %s like any other unknown field, in the pipe', async (field) => {
    const body = JSON.parse(`{"name":"a","${field}":"x"}`) as unknown;
    const pipe = createValidationPipe();
    await expect(pipe.transform(body, { type: 'body', metatype: NameDto })).rejects.toEqual(
      new ValidationFailedError([{ field, message: `property ${field} should not exist` }]),
    );
  });

  it.each(INHERITED)('refuses %s in a row checked outside a request', (field) => {
    const row = JSON.parse(`{"name":"a","${field}":"x"}`) as unknown;
    expect(validateAs(NameDto, row).errors).toEqual([
      { field, message: `property ${field} should not exist` },
    ]);
  });

  it('names at most 20 unknown fields and still accepts known ones', async () => {
    const wide = Object.fromEntries(Array.from({ length: 5_000 }, (_, i) => [`k${i}`, i]));
    const pipe = createValidationPipe();
    const refused = await pipe
      .transform(wide, { type: 'body', metatype: NameDto })
      .catch((error: ValidationFailedError) => error);
    expect((refused as ValidationFailedError).errors).toHaveLength(20);
    await expect(
      pipe.transform({ name: 'a' }, { type: 'body', metatype: NameDto }),
    ).resolves.toBeInstanceOf(NameDto);
  });
});
