import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class TotpEnrolmentView {
  @ApiProperty({ description: 'Base32 secret, for typing into an app; never shown again' })
  secret: string;

  @ApiProperty({ example: 'otpauth://totp/Gatehouse:alice?issuer=Gatehouse&secret=…&algorithm=SHA1&digits=6&period=30' })
  otpauthUri: string;

  @ApiProperty({ description: 'The otpauth URI as a QR code (SVG markup)' })
  qrSvg: string;
}

export class RecoveryCodesView {
  @ApiPropertyOptional({ type: [String], description: 'Ten single-use recovery codes: shown this once, store them safely' })
  recoveryCodes?: string[];
}

export class MfaStatusView {
  @ApiProperty({ example: { enabled: true, confirmedAt: '2026-11-30T10:00:00.000Z' } })
  totp: { enabled: boolean; confirmedAt?: string };

  @ApiProperty({ example: { remaining: 9 } })
  recoveryCodes: { remaining: number };

  @ApiProperty({ example: 1, description: 'Registered passkeys' })
  passkeys: number;

  @ApiProperty({ example: ['totp', 'recovery_code', 'webauthn'], description: 'What a login can be completed with' })
  methods: string[];
}

export class PasskeyView {
  @ApiProperty() id: string;
  @ApiProperty() name: string;
  @ApiProperty({ enum: ['singleDevice', 'multiDevice'] }) deviceType: string;
  @ApiProperty() backedUp: boolean;
  @ApiProperty() createdAt: string;
  @ApiProperty({ nullable: true, type: String }) lastUsedAt: string | null;
}

export class RegisteredPasskeyView extends RecoveryCodesView {
  @ApiProperty({ type: PasskeyView })
  passkey: PasskeyView;
}
