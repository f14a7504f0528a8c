import { IsOmittable, PageQueryDto } from '@keel/core';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayNotEmpty,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsIn,
  IsOptional,
  IsString,
  Length,
  Matches,
  MaxLength,
} from 'class-validator';
import { ATTEMPT_OUTCOMES, type AttemptOutcome } from '../entities/webhook-attempt.entity';
import { DELIVERY_STATES, type DeliveryState } from '../entities/webhook-delivery.entity';
import { EVENT_TYPE_PATTERN } from '../signing';

const EVENT_TYPES_DOC = {
  example: ['item.*', 'user.updated'],
  description:
    'Event types to receive: exact (`item.created`) or a prefix ending in `*` (`item.*`; `*` for every event). Only events you may see on the event stream are sent.',
};
const EVENT_TYPES_MESSAGE = 'each event type must be dotted lower case, optionally ending in *';

export class CreateWebhookDto {
  @ApiProperty({ example: 'https://example.com/hooks/keel', maxLength: 2048 })
  @IsString()
  @MaxLength(2048)
  url!: string;

  @ApiProperty({ ...EVENT_TYPES_DOC, isArray: true, type: String })
  @IsArray()
  @ArrayNotEmpty()
  @ArrayMaxSize(20)
  @ArrayUnique()
  @IsString({ each: true })
  @MaxLength(100, { each: true })
  @Matches(EVENT_TYPE_PATTERN, { each: true, message: EVENT_TYPES_MESSAGE })
  eventTypes!: string[];

  @ApiPropertyOptional({ example: 'inventory sync', maxLength: 200 })
  @IsOptional()
  @IsString()
  @Length(0, 200)
  description?: string;
}

export class UpdateWebhookDto {
  @ApiPropertyOptional({ example: 'https://example.com/hooks/keel', maxLength: 2048 })
  @IsOmittable()
  @IsString()
  @MaxLength(2048)
  url?: string;

  @ApiPropertyOptional({ ...EVENT_TYPES_DOC, isArray: true, type: String })
  @IsOmittable()
  @IsArray()
  @ArrayNotEmpty()
  @ArrayMaxSize(20)
  @ArrayUnique()
  @IsString({ each: true })
  @MaxLength(100, { each: true })
  @Matches(EVENT_TYPE_PATTERN, { each: true, message: EVENT_TYPES_MESSAGE })
  eventTypes?: string[];

  @ApiPropertyOptional({ maxLength: 200, nullable: true, type: String })
  @IsOptional()
  @IsString()
  @Length(0, 200)
  description?: string | null;

  @ApiPropertyOptional({
    description:
      'false stops deliveries (they wait); true turns a disabled endpoint on again with its circuit closed, and its waiting deliveries go',
  })
  @IsOmittable()
  @IsBoolean()
  enabled?: boolean;
}

export class WebhookDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty()
  url!: string;

  @ApiProperty({ type: String, nullable: true })
  description!: string | null;

  @ApiProperty({ type: [String], example: ['item.*'] })
  eventTypes!: string[];

  @ApiProperty({ description: 'false once disabled (by its owner, or after failing for too long)' })
  enabled!: boolean;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  disabledAt!: string | null;

  @ApiProperty({ type: String, nullable: true })
  disabledReason!: string | null;

  @ApiProperty({
    enum: ['closed', 'open', 'half_open'],
    description:
      'The endpoint’s circuit breaker: open after repeated failures (deliveries wait), half_open when one probe may go',
  })
  circuit!: 'closed' | 'open' | 'half_open';

  @ApiProperty({ description: 'Failed attempts in a row' })
  consecutiveFailures!: number;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'After a rotation: until when the previous secret also signs',
  })
  previousSecretExpiresAt!: string | null;

  @ApiProperty({ type: String, format: 'date-time' })
  createdAt!: string;

  @ApiProperty({ type: String, format: 'date-time' })
  updatedAt!: string;
}

export class CreatedWebhookDto extends WebhookDto {
  @ApiProperty({
    description: 'The signing secret (Standard Webhooks): shown this once, never again',
    example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  })
  secret!: string;
}

export class WebhookListDto {
  @ApiProperty({ type: [WebhookDto] })
  data!: WebhookDto[];
}

export class AttemptDto {
  @ApiProperty({ description: '1 for the first attempt, counting retries and redeliveries' })
  number!: number;

  @ApiProperty({ type: String, format: 'date-time' })
  startedAt!: string;

  @ApiProperty()
  latencyMs!: number;

  @ApiProperty({
    enum: ATTEMPT_OUTCOMES,
    description: 'success is a 2xx answer; anything else failed',
  })
  outcome!: AttemptOutcome;

  @ApiProperty({
    type: Number,
    nullable: true,
    description: 'The receiver’s status, when it answered',
  })
  statusCode!: number | null;

  @ApiProperty({ type: String, nullable: true })
  error!: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'The first KiB of the answer, as text',
  })
  responsePrefix!: string | null;
}

export class DeliveryDto {
  @ApiProperty({
    format: 'uuid',
    description: 'The `webhook-id` header: the same on every attempt',
  })
  id!: string;

  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'null for a ping' })
  eventId!: string | null;

  @ApiProperty({ example: 'item.created' })
  eventType!: string;

  @ApiProperty()
  aggregateId!: string;

  @ApiProperty({ enum: DELIVERY_STATES })
  state!: DeliveryState;

  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'While pending' })
  nextAttemptAt!: string | null;

  @ApiProperty({ type: Number, nullable: true })
  lastStatusCode!: number | null;

  @ApiProperty({ type: String, format: 'date-time' })
  createdAt!: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  finishedAt!: string | null;

  @ApiProperty({ type: [AttemptDto], description: 'Oldest first' })
  attempts!: AttemptDto[];
}

export class DeliveryPageDto {
  @ApiProperty({ type: [DeliveryDto], description: 'Newest first' })
  data!: DeliveryDto[];

  @ApiProperty({ type: String, nullable: true, description: 'null on the last page' })
  nextCursor!: string | null;
}

export class ListDeliveriesQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: DELIVERY_STATES })
  @IsOptional()
  @IsIn(DELIVERY_STATES)
  state?: DeliveryState;
}

export class RotatedSecretDto {
  @ApiProperty({ description: 'The new signing secret: shown this once, never again' })
  secret!: string;

  @ApiProperty({
    type: String,
    format: 'date-time',
    description: 'Until when the previous secret also signs (both signatures are sent)',
  })
  previousSecretExpiresAt!: string;
}
