import { ApiProperty } from '@nestjs/swagger';
import type { AuditEvent } from '../entities/audit-event.entity';

export class AuditEventView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() timestamp: string;
  @ApiProperty({ example: 'login.failure' }) type: string;
  @ApiProperty({ nullable: true, type: String }) userId: string | null;
  @ApiProperty({ nullable: true, type: String }) username: string | null;
  @ApiProperty({ nullable: true, type: String }) actorId: string | null;
  @ApiProperty({
    nullable: true,
    type: String,
    enum: ['cli'],
    description: "`cli` when the change was made at the operators' command line (no user: actorId is null); otherwise null",
  })
  actor: 'cli' | null;
  @ApiProperty({ nullable: true, type: String }) ip: string | null;
  @ApiProperty({ nullable: true, type: String }) userAgent: string | null;
  @ApiProperty({ nullable: true, type: String }) requestId: string | null;
  @ApiProperty({ nullable: true, type: Object }) details: Record<string, unknown> | null;

  static of(event: AuditEvent): AuditEventView {
    const details = event.details ? parseDetails(event.details) : null;
    return {
      id: event.id,
      timestamp: new Date(event.createdAt).toISOString(),
      type: event.type,
      userId: event.userId,
      username: event.username,
      actorId: event.actorId,
      // Key rotations at the command line said `via: cli` before `actor` existed.
      actor: details?.actor === 'cli' || (event.type === 'key.rotated' && details?.via === 'cli') ? 'cli' : null,
      ip: event.ip,
      userAgent: event.userAgent,
      requestId: event.requestId,
      details,
    };
  }
}

export class AuditPage {
  @ApiProperty({ type: [AuditEventView] }) items: AuditEventView[];
  @ApiProperty() page: number;
  @ApiProperty() limit: number;
  @ApiProperty() total: number;
}

/** Rows written before details were kept whole may hold cut JSON: shown as such, never a 500. */
function parseDetails(text: string): Record<string, unknown> {
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return { unreadable: true };
  }
}
