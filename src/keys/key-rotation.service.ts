import { Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service';
import { KeyDescription, KeyStore } from './key-store';

/** Who asked for a rotation: an administrator through the API, or an operator at the command line. */
export interface RotationRequester {
  actorId?: string;
  via: 'api' | 'cli';
}

/** A key rotation and its audit event, the same from POST /api/v1/keys/rotate and `gatehouse keys rotate`. */
@Injectable()
export class KeyRotation {
  constructor(
    private readonly keys: KeyStore,
    private readonly audit: AuditService,
  ) {}

  /** Throws KeyRotationRefused when the configuration or a pending rotation does not allow one. */
  async rotate(by: RotationRequester): Promise<KeyDescription> {
    const key = await this.keys.rotate();
    await this.audit.record({
      type: 'key.rotated',
      actorId: by.actorId ?? null,
      details: { kid: key.kid, alg: key.alg, activatesAt: key.activatesAt?.toISOString(), via: by.via },
    });
    return key;
  }
}
