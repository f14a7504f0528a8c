import { IsTimestamp, PageQueryDto } from '@keel/core';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Matches, MaxLength } from 'class-validator';

export class EventDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ description: 'Insert order; the audit log pages by it' })
  seq!: string;

  @ApiProperty({
    type: String,
    nullable: true,
    description:
      'Stream order, given when the relay takes the event (null until then); the SSE event id and Last-Event-ID',
  })
  position!: string | null;

  @ApiProperty({ example: 'item.updated' })
  type!: string;

  @ApiProperty({ example: 'item' })
  aggregateType!: string;

  @ApiProperty()
  aggregateId!: string;

  @ApiProperty({ type: String, nullable: true, format: 'uuid', description: 'Who did it' })
  actorId!: string | null;

  @ApiProperty({ type: String, nullable: true, description: 'The request that did it' })
  requestId!: string | null;

  @ApiProperty({ type: String, format: 'date-time' })
  occurredAt!: string;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'When it was handed to the broker; null while delivery waits',
  })
  publishedAt!: string | null;

  @ApiProperty({ type: Object })
  data!: Record<string, unknown>;
}

export class EventPageDto {
  @ApiProperty({ type: [EventDto] })
  data!: EventDto[];

  @ApiProperty({ type: String, nullable: true, description: 'null on the last page' })
  nextCursor!: string | null;
}

export class ListEventsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ example: 'item.created', description: 'Exact event type' })
  @IsOptional()
  @IsString()
  @Matches(/^[a-z][a-z_.]{0,99}$/, { message: 'type must be a dotted lower-case event type' })
  type?: string;

  @ApiPropertyOptional({ description: 'Only events of this aggregate (item or user id)' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  aggregateId?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'Occurred at or after' })
  @IsOptional()
  @IsTimestamp()
  from?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'Occurred before' })
  @IsOptional()
  @IsTimestamp()
  to?: string;
}
