import { serializeDetails } from '../audit.service';
import type { AuditEvent } from '../entities/audit-event.entity';
import { AuditEventView } from './audit-event.view';

const event = (type: string, details: Record<string, unknown> | null): AuditEvent =>
  ({
    id: 'e',
    createdAt: new Date('2026-01-01T00:00:00Z'),
    type,
    userId: null,
    username: null,
    actorId: null,
    ip: null,
    userAgent: null,
    requestId: null,
    details: details && serializeDetails(details),
  }) as AuditEvent;

describe(AuditEventView.name, () => {
  it('shows actor cli for a change made at the command line, and null otherwise', () => {
    expect(AuditEventView.of(event('user.disabled', { actor: 'cli' })).actor).toBe('cli');
    expect(AuditEventView.of(event('user.disabled', null)).actor).toBeNull();
    expect(AuditEventView.of(event('password.reset', { via: 'reset link' })).actor).toBeNull();
  });

  it('reads key rotations recorded at the command line before actor existed (via: cli) as actor cli', () => {
    expect(AuditEventView.of(event('key.rotated', { kid: 'k', via: 'cli' })).actor).toBe('cli');
    expect(AuditEventView.of(event('key.rotated', { kid: 'k', via: 'api' })).actor).toBeNull();
  });

  it('keeps actor cli when details too long for the column keep only their field names', () => {
    const many = Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`field${i}`, 'y'.repeat(150)]));
    expect(AuditEventView.of(event('role.permissions_changed', { ...many, actor: 'cli' })).actor).toBe('cli');
  });
});
