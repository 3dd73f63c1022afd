import type { CompiledQuery, Kysely } from 'kysely';
import { looksLikeId } from '../domain/ids.js';
import { nameKey } from '../domain/validate.js';
import { groupPath, groupPathsQuery, servicePathsQuery, type CandidateRow, type GroupPathRow } from './access.js';
import type { Store } from './store.js';
import { exchangeTokenQuery, keysWithService, type ExchangeTokenRow, type KeyRow } from './keys.js';
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
    keyByTokenHash: keysWithService(db).where('k.token_hash', '=', Q).compile(),
    keyById: keysWithService(db).where('k.id', '=', Q).compile(),
    exchangeByHash: exchangeTokenQuery(db).where('t.token_hash', '=', Q).compile(),
  };
}

type Run = <T>(query: CompiledQuery, parameters: readonly unknown[]) => Promise<T[]>;

export function prepareAccessLookups(store: Store): AccessLookups {
  const db = store.db;
  const run = store.sqlite ? sqliteRunner(store.sqlite) : kyselyRunner(db as unknown as Kysely<never>);
  const q = compileAccessQueries(db);
  const first = async <T>(q: CompiledQuery, p: unknown[]) => (await run<T>(q, p))[0];
  return {
    user: (ref) => (looksLikeId('user', ref) ? first(q.userById, [ref]) : first(q.userByEmail, [nameKey(ref.trim())])),
    service: (ref) => (looksLikeId('service', ref) ? first(q.serviceById, [ref]) : first(q.serviceByName, [nameKey(ref)])),
    resource: (ref) => (looksLikeId('resource', ref) ? first(q.resourceById, [ref]) : first(q.resourceByName, [nameKey(ref)])),
    userPaths: async (userId, resourceId) => (await run<GroupPathRow>(q.userGroups, [userId, resourceId])).map(groupPath),
    servicePaths: async (serviceId, resourceId) => {
      const direct = (await run<{ subject_id: string; resource_id: string; expires_at: number | null }>(q.serviceDirect, [serviceId, resourceId])).map(
        (r): CandidateRow => ({ subjectId: r.subject_id, resourceId: r.resource_id, path: { via: 'direct', assignmentExpiresAt: r.expires_at } }),
      );
      return [...direct, ...(await run<GroupPathRow>(q.serviceGroups, [serviceId, resourceId])).map(groupPath)];
    },
    keyByTokenHash: (hash) => first(q.keyByTokenHash, [hash]),
    keyById: (id) => first(q.keyById, [id]),
    exchangeTokenByHash: (hash) => first(q.exchangeByHash, [hash]),
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
