import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { KeyDescription } from '../key-store';

/** A key as GET /api/v1/keys shows it: its name, algorithm, state and dates — never key material. */
export class KeyView {
  @ApiProperty({ description: 'The kid tokens carry (RFC 7638 thumbprint for key pairs)' }) kid: string;
  @ApiProperty({ example: 'EdDSA' }) alg: string;
  @ApiProperty({ enum: ['next', 'current', 'retiring'] }) state: 'next' | 'current' | 'retiring';
  @ApiProperty({ description: 'In /.well-known/jwks.json (key pairs; an HS512 secret never is)' }) published: boolean;
  @ApiProperty({ enum: ['generated', 'file', 'JWT_SECRET', 'JWT_SECRET_PREVIOUS', 'generated secret'] }) source: string;
  @ApiPropertyOptional({ description: 'When the key was created (and published)' }) createdAt?: string;
  @ApiPropertyOptional({ description: 'When the key starts (or started) signing' }) activatesAt?: string;
  @ApiPropertyOptional({ description: 'Retiring keys: when they leave the JWKS, every token they signed having expired' })
  retiresAt?: string;

  static of(key: KeyDescription): KeyView {
    return {
      kid: key.kid,
      alg: key.alg,
      state: key.state,
      published: key.published,
      source: key.source,
      createdAt: key.createdAt?.toISOString(),
      activatesAt: key.activatesAt?.toISOString(),
      retiresAt: key.retiresAt?.toISOString(),
    };
  }
}
