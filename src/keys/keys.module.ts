import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { SigningKey } from './entities/signing-key.entity';
import { KeyStore } from './key-store';
import { KeysRepository } from './keys.repository';

/** Gatehouse's keys: the signing and verification keys of access tokens, and derived purpose keys. */
@Module({
  imports: [TypeOrmModule.forFeature([SigningKey])],
  providers: [KeyStore, KeysRepository],
  exports: [KeyStore],
})
export class KeysModule {}
