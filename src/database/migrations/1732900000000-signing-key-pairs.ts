import { MigrationInterface, QueryRunner } from 'typeorm';
import { dialect } from './dialect';

/**
 * Key pairs in the key store (PostgreSQL keeps them in the database, shared by every instance):
 * the algorithm, the private key (PKCS#8 PEM) and when the key starts signing (it is published
 * KEY_PUBLISH_DELAY before). The HS512 root secret stays the row it was (`secret`, algorithm null).
 */
export class SigningKeyPairs1732900000000 implements MigrationInterface {
  name = 'SigningKeyPairs1732900000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const { timestamp } = dialect(queryRunner);
    await queryRunner.query('ALTER TABLE signing_keys ADD COLUMN alg varchar(16)');
    await queryRunner.query('ALTER TABLE signing_keys ADD COLUMN private_key text');
    await queryRunner.query(`ALTER TABLE signing_keys ADD COLUMN activates_at ${timestamp}`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE signing_keys DROP COLUMN activates_at');
    await queryRunner.query('ALTER TABLE signing_keys DROP COLUMN private_key');
    await queryRunner.query('ALTER TABLE signing_keys DROP COLUMN alg');
  }
}
