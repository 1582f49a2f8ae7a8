import { ApiProperty } from '@nestjs/swagger';
import type { OAuthClient } from '../entities/oauth-client.entity';
import type { PersonalAccessToken } from '../entities/personal-access-token.entity';

/** A personal access token as lists show it: never the token. */
export class PersonalAccessTokenView {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: 'nightly export' })
  name: string;

  @ApiProperty({ example: ['patients:read'] })
  scopes: string[];

  @ApiProperty()
  createdAt: string;

  @ApiProperty({ nullable: true, type: String, description: 'Recorded at most once a minute' })
  lastUsedAt: string | null;

  @ApiProperty()
  expiresAt: string;

  @ApiProperty({ description: 'Past its expiry (it is refused)' })
  expired: boolean;

  static of(token: PersonalAccessToken): PersonalAccessTokenView {
    return {
      id: token.id,
      name: token.name,
      scopes: token.scopes,
      createdAt: token.createdAt.toISOString(),
      lastUsedAt: token.lastUsedAt?.toISOString() ?? null,
      expiresAt: token.expiresAt.toISOString(),
      expired: token.expiresAt.getTime() <= Date.now(),
    };
  }
}

/** A new personal access token: the only time the token is shown. */
export class CreatedPersonalAccessTokenView extends PersonalAccessTokenView {
  @ApiProperty({ example: 'gth_…', description: 'Shown once: store it now. Send as Authorization: Bearer <token>' })
  token: string;
}

export class ClientView {
  @ApiProperty({ format: 'uuid', description: 'The client_id' })
  client_id: string;

  @ApiProperty({ example: 'billing-service' })
  name: string;

  @ApiProperty({ example: ['patients:read'] })
  scopes: string[];

  @ApiProperty()
  enabled: boolean;

  @ApiProperty()
  createdAt: string;

  @ApiProperty({ nullable: true, type: String })
  secretRotatedAt: string | null;

  @ApiProperty({ nullable: true, type: String, description: 'Until when the previous secret still works after a rotation' })
  previousSecretExpiresAt: string | null;

  static of(client: OAuthClient): ClientView {
    const graceLeft = client.previousSecretExpiresAt && client.previousSecretExpiresAt.getTime() > Date.now();
    return {
      client_id: client.id,
      name: client.name,
      scopes: client.scopes,
      enabled: client.enabled,
      createdAt: client.createdAt.toISOString(),
      secretRotatedAt: client.secretRotatedAt?.toISOString() ?? null,
      previousSecretExpiresAt: graceLeft ? client.previousSecretExpiresAt!.toISOString() : null,
    };
  }
}

/** A client's secret: shown once, at registration or rotation. */
export class ClientSecretView extends ClientView {
  @ApiProperty({ example: 'gthcs_…', description: 'Shown once: store it now' })
  client_secret: string;
}
