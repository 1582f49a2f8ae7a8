import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';

/**
 * An open database transaction. A service opens one with `Transactions.run` when several
 * repositories must write together (a refresh and its audit event commit as one) and hands it to
 * them; only repositories look inside.
 */
export class Tx {
  constructor(readonly manager: EntityManager) {}
}

@Injectable()
export class Transactions {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  run<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    return this.dataSource.transaction((manager) => work(new Tx(manager)));
  }

  get isPostgres(): boolean {
    return this.dataSource.options.type === 'postgres';
  }
}
