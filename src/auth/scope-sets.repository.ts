import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { createHash } from 'node:crypto';
import type { Repository } from 'typeorm';
import { ScopeSet } from './entities/scope-set.entity';

/** Scopes resolved on this instance, by hash: they never change, so they are kept (bounded) without invalidation. */
const RESOLVED_CACHED = 10_000;

/**
 * The `scope_sets` table: large token scopes stored by hash, and an in-process cache of those
 * already seen, so the bearer guard reads a scope from the database at most once per instance.
 */
@Injectable()
export class ScopeSetsRepository {
  private readonly resolved = new Map<string, string[]>();

  constructor(@InjectRepository(ScopeSet) private readonly sets: Repository<ScopeSet>) {}

  /** The reference a token carries for this (sorted) scope: base64url SHA-256 of its space-separated form. */
  static referenceOf(scope: readonly string[]): string {
    return createHash('sha256').update(scope.join(' ')).digest('base64url');
  }

  /** Stores the scope (once) and returns its reference. */
  async store(scope: readonly string[]): Promise<string> {
    const hash = ScopeSetsRepository.referenceOf(scope);
    if (this.resolved.has(hash)) return hash;
    await this.sets
      .createQueryBuilder()
      .insert()
      .into(ScopeSet)
      .values({ hash, scope: scope.join(' ') })
      .orIgnore()
      .execute();
    this.remember(hash, [...scope]);
    return hash;
  }

  /** The scope a reference names; undefined when no token of this server could carry it. */
  async resolve(hash: string): Promise<string[] | undefined> {
    const known = this.resolved.get(hash);
    if (known) return known;
    if (!/^[A-Za-z0-9_-]{43}$/.test(hash)) return undefined;
    const row = await this.sets.findOneBy({ hash });
    if (!row) return undefined;
    const scope = row.scope.split(' ');
    // The row is what its hash says (a database edit cannot widen a token's scope unnoticed).
    if (ScopeSetsRepository.referenceOf(scope) !== hash) return undefined;
    this.remember(hash, scope);
    return scope;
  }

  private remember(hash: string, scope: string[]): void {
    if (this.resolved.size >= RESOLVED_CACHED) this.resolved.delete(this.resolved.keys().next().value as string);
    this.resolved.set(hash, scope);
  }
}
