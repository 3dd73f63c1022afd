import { StoreError } from '../../domain/errors.js';
import { STORE_TABLES } from './schema.js';

type RunSql = (sql: string) => Promise<unknown>;

interface Inspected {
  application: string | null;
  version: number | null;
  tables: number;
}

const SHADOWABLE = [...STORE_TABLES, 'accessctl_schema'].map((t) => `'${t}'`).join(', ');

/**
 * The version row, if any, and how many tables the database's schema holds. A temporary table
 * named like a store table comes first on the search path, so unqualified queries would read it:
 * refused (behind a pooler it may be another client's, left on the server connection).
 */
export async function inspect(run: RunSql, where: string): Promise<Inspected> {
  const rowsOf = async (sql: string) => {
    const r = (await run(sql)) as { rows?: Array<Record<string, unknown>> } | Array<Record<string, unknown>>;
    return Array.isArray(r) ? r : (r.rows ?? []);
  };
  const [t] = await rowsOf(`select count(*)::int as tables, to_regclass('accessctl_schema') is not null as versioned,
    (select string_agg(relname, ', ' order by relname) from pg_catalog.pg_class where relnamespace = pg_catalog.pg_my_temp_schema() and relname in (${SHADOWABLE})) as shadowed
    from pg_tables where schemaname = current_schema()`);
  if (typeof t!.shadowed === 'string') {
    throw new StoreError(
      `temporary table(s) ${t!.shadowed} in this session shadow the store's at ${where}`,
      'a pooled server connection can carry another client\'s; revoke TEMPORARY on the database as accessctl db grant does, then reconnect the pooler',
    );
  }
  if (!t!.versioned) return { application: null, version: null, tables: Number(t!.tables) };
  const [v] = await rowsOf('select application, version from accessctl_schema limit 1');
  return { application: (v?.application as string | undefined) ?? '', version: v === undefined ? -1 : Number(v.version), tables: Number(t!.tables) };
}
