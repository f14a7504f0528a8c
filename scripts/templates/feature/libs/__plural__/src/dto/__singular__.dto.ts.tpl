import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsString, Length } from 'class-validator';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

/** The body of `POST /v1/__plural__`. Unknown fields are refused by the global ValidationPipe. */
export class Create__Singular__Dto {
  @ApiProperty({ minLength: 1, maxLength: 200, example: 'My first __singular_words__' })
  @Transform(trim)
  @IsString()
  @Length(1, 200)
  name!: string;
}

/** What the API answers: never the entity itself (see `map__Singular__`). */
export class __Singular__ResponseDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ example: 'My first __singular_words__' })
  name!: string;

  @ApiProperty({ format: 'uuid' })
  ownerId!: string;

  @ApiProperty({ type: String, format: 'date-time' })
  createdAt!: string;

  @ApiProperty({ type: String, format: 'date-time' })
  updatedAt!: string;
}
