import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/**
 * A token scope too large to carry inline (more than MAX_INLINE_SCOPE permissions), stored once
 * under its SHA-256: access tokens carry the hash (`scope_ref`), the bearer guard resolves it. The
 * same scope always has the same hash, so rows are written once and never change.
 */
@Entity({ name: 'scope_sets' })
export class ScopeSet {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  hash: string;

  /** The permissions, space-separated and sorted. */
  @Column({ type: 'text' })
  scope: string;

  @CreateDateColumn({ name: 'created_at' })
  createdAt: Date;
}
