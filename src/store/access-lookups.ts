import type { CompiledQuery, Kysely } from 'kysely';
import { looksLikeId } from '../domain/ids.js';
import { nameKey } from '../domain/validate.js';
import { groupPath, groupPathsQuery, servicePathsQuery, type CandidateRow, type GroupPathRow } from './access.js';
import type { Store } from './store.js';
import { checkedExchangeToken, checkedKey, confirmedKeys, exchangeTokenQuery, type ExchangeTokenRow, type KeyRow } from './keys.js';
import { assertHeld, confirmsByRowid, heldQuery, type IndexedTable } from './index-guard.js';
import type { Db } from './mutate.js';
import type { ResourcesTable, ServicesTable, UsersTable } from './tables.js';

/**
 * The lookups of one access check, compiled once and run many times: what `access check --batch`
 * asks per request. The SQL is the same Kysely builds for a single check (the builders are
 * shared); only building and compiling it per request is skipped. On SQLite the statements run
 * synchronously on the driver's handle, each its own implicit read, so every answer sees the
 * store as it is then. On PostgreSQL they go through Kysely's pool, one statement at a time.
 */
export interface AccessLookups {
  user(ref: string): Promise<UsersTable | undefined>;
  service(ref: string): Promise<ServicesTable | undefined>;
  resource(ref: string): Promise<ResourcesTable | undefined>;
  userPaths(userId: string, resourceId: string): Promise<CandidateRow[]>;
  servicePaths(serviceId: string, resourceId: string): Promise<CandidateRow[]>;
  keyByTokenHash(hash: string): Promise<KeyRow | undefined>;
  keyById(id: string): Promise<KeyRow | undefined>;
  exchangeTokenByHash(hash: string): Promise<ExchangeTokenRow | undefined>;
}

/** Every query of an access check, compiled with its parameters in order (the bench's raw loops run these same statements). */
export function compileAccessQueries(db: Db) {
  const Q = '?';
  return {
    userById: db.selectFrom('users').selectAll().where('id', '=', Q).compile(),
    userByEmail: db.selectFrom('users').selectAll().where('email_key', '=', Q).compile(),
    serviceById: db.selectFrom('services').selectAll().where('id', '=', Q).compile(),
    serviceByName: db.selectFrom('services').selectAll().where('name_key', '=', Q).compile(),
    resourceById: db.selectFrom('resources').selectAll().where('id', '=', Q).compile(),
    resourceByName: db.selectFrom('resources').selectAll().where('name_key', '=', Q).compile(),
    /** [user id, resource id] */
    userGroups: groupPathsQuery(db, 'group_users', { subjectId: Q, resourceId: Q }).compile(),
    /** [service id, resource id] */
    serviceGroups: groupPathsQuery(db, 'group_services', { subjectId: Q, resourceId: Q }).compile(),
    /** [service id, resource id] */
    serviceDirect: servicePathsQuery(db, { subjectId: Q, resourceId: Q }).compile(),
    keyByTokenHash: confirmedKeys(db).where('k.token_hash', '=', Q).compile(),
    keyById: confirmedKeys(db).where('k.id', '=', Q).compile(),
    exchangeByHash: exchangeTokenQuery(db).where('t.token_hash', '=', Q).compile(),
  };
}

type Run = <T>(query: CompiledQuery, parameters: readonly unknown[]) => Promise<T[]>;

export function prepareAccessLookups(store: Store): AccessLookups {
  const db = store.db;
  const run = store.sqlite ? sqliteRunner(store.sqlite) : kyselyRunner(db as unknown as Kysely<never>);
  const q = compileAccessQueries(db);
  const first = async <T>(q: CompiledQuery, p: unknown[]) => (await run<T>(q, p))[0];
  // A row found through a unique index is confirmed against the table (store/index-guard.ts).
  const heldQueries = new Map<string, CompiledQuery>();
  const confirm = async (table: IndexedTable, column: string, value: string): Promise<void> => {
    if (!confirmsByRowid(db, table)) return;
    const name = `${table}.${column}`;
    let hq = heldQueries.get(name);
    if (!hq) heldQueries.set(name, (hq = heldQuery(db, table, column)));
    assertHeld(await run<{ held: unknown }>(hq, [value]), table, column, value);
  };
  const by = async <T>(q: CompiledQuery, table: IndexedTable, column: string, value: string): Promise<T | undefined> => {
    const row = await first<T>(q, [value]);
    if (row !== undefined) await confirm(table, column, value);
    return row;
  };
  const key = async (q: CompiledQuery, column: 'id' | 'token_hash', value: string): Promise<KeyRow | undefined> =>
    checkedKey(await first<Parameters<typeof checkedKey>[0]>(q, [value]), column, value);
  const groupPaths = async (q: CompiledQuery, subjectId: string, resourceId: string): Promise<CandidateRow[]> => (await run<GroupPathRow>(q, [subjectId, resourceId])).map(groupPath);
  return {
    user: (ref) => (looksLikeId('user', ref) ? by(q.userById, 'users', 'id', ref) : by(q.userByEmail, 'users', 'email_key', nameKey(ref.trim()))),
    service: (ref) => (looksLikeId('service', ref) ? by(q.serviceById, 'services', 'id', ref) : by(q.serviceByName, 'services', 'name_key', nameKey(ref))),
    resource: (ref) => (looksLikeId('resource', ref) ? by(q.resourceById, 'resources', 'id', ref) : by(q.resourceByName, 'resources', 'name_key', nameKey(ref))),
    userPaths: (userId, resourceId) => groupPaths(q.userGroups, userId, resourceId),
    servicePaths: async (serviceId, resourceId) => {
      const direct = (await run<{ subject_id: string; resource_id: string; expires_at: number | null }>(q.serviceDirect, [serviceId, resourceId])).map(
        (r): CandidateRow => ({ subjectId: r.subject_id, resourceId: r.resource_id, path: { via: 'direct', assignmentExpiresAt: r.expires_at } }),
      );
      return [...direct, ...(await groupPaths(q.serviceGroups, serviceId, resourceId))];
    },
    keyByTokenHash: (hash) => key(q.keyByTokenHash, 'token_hash', hash),
    keyById: (id) => key(q.keyById, 'id', id),
    exchangeTokenByHash: async (hash) => checkedExchangeToken(await first<Parameters<typeof checkedExchangeToken>[0]>(q.exchangeByHash, [hash]), hash),
  };
}

/** Prepared once on the better-sqlite3 handle Kysely itself uses. */
function sqliteRunner(sqlite: NonNullable<Store['sqlite']>): Run {
  const statements = new Map<string, ReturnType<typeof sqlite.prepare>>();
  return async <T>(query: CompiledQuery, parameters: readonly unknown[]) => {
    let stmt = statements.get(query.sql);
    if (!stmt) statements.set(query.sql, (stmt = sqlite.prepare(query.sql)));
    return stmt.all(parameters as unknown[]) as T[];
  };
}

function kyselyRunner(db: Kysely<never>): Run {
  return async <T>(query: CompiledQuery, parameters: readonly unknown[]) => (await db.executeQuery<T>({ ...query, parameters })).rows;
}
