import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DiscoveryController } from './discovery.controller';
import { SigningKey } from './entities/signing-key.entity';
import { KeyStore } from './key-store';
import { KeysController } from './keys.controller';
import { KeysRepository } from './keys.repository';
import { KeyRotation } from './key-rotation.service';

/**
 * Gatehouse's keys: the signing and verification keys of access tokens (an HS512 secret, or key
 * pairs generated, rotated and published), derived purpose keys, and the documents that publish
 * them (JWKS, authorization-server metadata).
 */
@Module({
  imports: [TypeOrmModule.forFeature([SigningKey])],
  controllers: [KeysController, DiscoveryController],
  providers: [KeyStore, KeysRepository, KeyRotation],
  exports: [KeyStore, KeyRotation],
})
export class KeysModule {}
