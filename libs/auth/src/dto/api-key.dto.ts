import { API_KEY_SCOPES, type ApiKeyScope } from '@keel/core';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayNotEmpty,
  ArrayUnique,
  IsArray,
  IsIn,
  IsISO8601,
  IsOptional,
  IsString,
  Length,
} from 'class-validator';
import type { ApiKey } from '../entities/api-key.entity';

export class CreateApiKeyDto {
  @ApiProperty({ example: 'inventory sync', minLength: 1, maxLength: 100 })
  @IsString()
  @Length(1, 100)
  name!: string;

  @ApiProperty({ enum: API_KEY_SCOPES, isArray: true, example: ['items:read'] })
  @IsArray()
  @ArrayNotEmpty()
  @ArrayMaxSize(API_KEY_SCOPES.length)
  @ArrayUnique()
  @IsIn(API_KEY_SCOPES, { each: true })
  scopes!: ApiKeyScope[];

  @ApiPropertyOptional({ format: 'date-time', description: 'No expiry when absent' })
  @IsOptional()
  @IsISO8601({ strict: true })
  expiresAt?: string;
}

export class ApiKeyResponseDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty()
  name!: string;

  @ApiProperty({ description: 'The start of the key, to recognise it (`keel_` + 12 characters)' })
  prefix!: string;

  @ApiProperty({ enum: API_KEY_SCOPES, isArray: true })
  scopes!: ApiKeyScope[];

  @ApiProperty({ format: 'date-time', nullable: true, type: String })
  expiresAt!: string | null;

  @ApiProperty({
    format: 'date-time',
    nullable: true,
    type: String,
    description: 'Recorded at most once a minute',
  })
  lastUsedAt!: string | null;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;
}

export class CreatedApiKeyDto extends ApiKeyResponseDto {
  @ApiProperty({
    description: 'The key itself: shown this once, never again',
    example: 'keel_3q2-7wEXAMPLEs7XwB6Zl5jvJ4u1Qn0K9pZk2mY8aE4',
  })
  key!: string;
}

export class ApiKeyListDto {
  @ApiProperty({ type: [ApiKeyResponseDto] })
  data!: ApiKeyResponseDto[];
}

export function mapApiKey(key: ApiKey): ApiKeyResponseDto {
  return {
    id: key.id,
    name: key.name,
    prefix: `keel_${key.prefix}`,
    scopes: key.scopes,
    expiresAt: key.expiresAt?.toISOString() ?? null,
    lastUsedAt: key.lastUsedAt?.toISOString() ?? null,
    createdAt: key.createdAt.toISOString(),
  };
}
