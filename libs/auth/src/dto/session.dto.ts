import { ApiProperty } from '@nestjs/swagger';
import type { Session } from '../entities/session.entity';

export class SessionResponseDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ nullable: true, type: String, description: 'The User-Agent of the sign-in' })
  userAgent!: string | null;

  @ApiProperty({ nullable: true, type: String, description: 'The address of the latest use' })
  ipAddress!: string | null;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;

  @ApiProperty({ format: 'date-time' })
  lastUsedAt!: string;

  @ApiProperty({ description: 'The session of the access token making this request' })
  current!: boolean;
}

export class SessionListDto {
  @ApiProperty({ type: [SessionResponseDto] })
  data!: SessionResponseDto[];
}

export function mapSession(session: Session, currentId: string | undefined): SessionResponseDto {
  return {
    id: session.id,
    userAgent: session.userAgent,
    ipAddress: session.ipAddress,
    createdAt: session.createdAt.toISOString(),
    lastUsedAt: session.lastUsedAt.toISOString(),
    current: session.id === currentId,
  };
}
