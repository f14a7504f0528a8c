import { IsOmittable } from '@keel/core';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsString, Length, Matches, MaxLength } from 'class-validator';
import type { ItemRow } from '../item-row';

/** Up to ten digits before the point and two after: what numeric(12,2) holds. */
export const PRICE_PATTERN = /^(0|[1-9]\d{0,9})(\.\d{1,2})?$/;
const PRICE_MESSAGE =
  'price must be a decimal string from "0" to "9999999999.99" with at most two decimal places';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

export class CreateItemDto {
  @ApiProperty({ minLength: 1, maxLength: 200, example: 'Walnut desk' })
  @Transform(trim)
  @IsString()
  @Length(1, 200)
  name!: string;

  @ApiPropertyOptional({ maxLength: 2000, default: '' })
  @IsOmittable()
  @IsString()
  @MaxLength(2000)
  description?: string;

  @ApiProperty({ type: String, pattern: PRICE_PATTERN.source, example: '249.90' })
  @IsString({ message: PRICE_MESSAGE })
  @Matches(PRICE_PATTERN, { message: PRICE_MESSAGE })
  price!: string;
}

export class UpdateItemDto {
  @ApiPropertyOptional({ minLength: 1, maxLength: 200 })
  @IsOmittable()
  @Transform(trim)
  @IsString()
  @Length(1, 200)
  name?: string;

  @ApiPropertyOptional({ maxLength: 2000 })
  @IsOmittable()
  @IsString()
  @MaxLength(2000)
  description?: string;

  @ApiPropertyOptional({ type: String, pattern: PRICE_PATTERN.source, example: '199.00' })
  @IsOmittable()
  @IsString({ message: PRICE_MESSAGE })
  @Matches(PRICE_PATTERN, { message: PRICE_MESSAGE })
  price?: string;
}

export class ItemResponseDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty()
  name!: string;

  @ApiProperty()
  description!: string;

  @ApiProperty({ type: String, example: '249.90', description: 'Decimal string, two places' })
  price!: string;

  @ApiProperty({ format: 'uuid' })
  ownerId!: string;

  @ApiProperty({ description: 'Bumped by every change; the ETag is `"<version>"`' })
  version!: number;

  @ApiProperty({ type: String, format: 'date-time' })
  createdAt!: string;

  @ApiProperty({ type: String, format: 'date-time' })
  updatedAt!: string;
}

export class ItemPageDto {
  @ApiProperty({ type: [ItemResponseDto] })
  data!: ItemResponseDto[];

  @ApiProperty({ type: String, nullable: true, description: 'null on the last page' })
  nextCursor!: string | null;
}

/** "12.5" → "12.50": the form the database returns. */
export function normalizePrice(price: string): string {
  const [whole, fraction = ''] = price.split('.');
  return `${whole}.${fraction.padEnd(2, '0')}`;
}

export function mapItem(item: ItemRow): ItemResponseDto {
  return {
    id: item.id,
    name: item.name,
    description: item.description,
    price: normalizePrice(String(item.price)),
    ownerId: item.ownerId,
    version: item.version,
    createdAt: item.createdAt.toISOString(),
    updatedAt: item.updatedAt.toISOString(),
  };
}
