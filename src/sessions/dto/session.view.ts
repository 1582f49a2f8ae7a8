import { ApiProperty } from '@nestjs/swagger';
import type { Session } from '../entities/session.entity';

export class SessionView {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty()
  createdAt: string;

  @ApiProperty({ description: 'Last login or refresh of the session' })
  lastUsedAt: string;

  @ApiProperty({ description: 'When the session ends unless refreshed' })
  expiresAt: string;

  @ApiProperty({ nullable: true, type: String })
  userAgent: string | null;

  @ApiProperty({ nullable: true, type: String })
  ip: string | null;

  @ApiProperty({ description: 'True for the session of the token making this request' })
  current: boolean;

  static of(session: Session, currentSessionId?: string): SessionView {
    return {
      id: session.id,
      createdAt: new Date(session.createdAt).toISOString(),
      lastUsedAt: new Date(session.lastUsedAt).toISOString(),
      expiresAt: new Date(session.expiresAt).toISOString(),
      userAgent: session.userAgent,
      ip: session.ip,
      current: session.id === currentSessionId,
    };
  }
}
