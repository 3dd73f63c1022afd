import { CompiledQuery, SqliteDialect, SqliteDriver, type DatabaseConnection } from 'kysely';

/**
 * Kysely's SQLite dialect with one change: transactions begin IMMEDIATE, so a mutation takes
 * the write lock before it reads, and two processes never both read-then-write the same state.
 * A PostgreSQL backend swaps this file for Kysely's PostgresDialect.
 */
export class ImmediateSqliteDialect extends SqliteDialect {
  readonly #config: ConstructorParameters<typeof SqliteDialect>[0];
  readonly #afterBegin: (() => void) | undefined;
  /** `afterBegin` runs once the write lock is held; it rolls back and throws to refuse (a schema changed since open). */
  constructor(config: ConstructorParameters<typeof SqliteDialect>[0], afterBegin?: () => void) {
    super(config);
    this.#config = config;
    this.#afterBegin = afterBegin;
  }
  override createDriver(): SqliteDriver {
    return new ImmediateSqliteDriver(this.#config, this.#afterBegin);
  }
}

class ImmediateSqliteDriver extends SqliteDriver {
  readonly #afterBegin: (() => void) | undefined;
  constructor(config: ConstructorParameters<typeof SqliteDialect>[0], afterBegin: (() => void) | undefined) {
    super(config);
    this.#afterBegin = afterBegin;
  }
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
    this.#afterBegin?.();
  }
  /**
   * SQLite rolls a transaction back itself when a write fails with a full disk or an I/O error;
   * a second ROLLBACK then fails with "no transaction is active" and would hide the real error.
   */
  override async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    try {
      await connection.executeQuery(CompiledQuery.raw('rollback'));
    } catch (err) {
      if (!/no transaction is active/.test((err as Error).message)) throw err;
    }
  }
}
