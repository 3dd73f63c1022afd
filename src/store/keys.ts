import { PostgresAdapter, sql } from 'kysely';
import { NotFoundError, UsageError } from '../domain/errors.js';
import { assertIdShape, looksLikeId } from '../domain/ids.js';
import { nameKey } from '../domain/validate.js';
import { confirmsByRowid, indexLie } from './index-guard.js';
import type { Db } from './mutate.js';
import type { ExchangeTokensTable, ServiceKeysTable } from './tables.js';

export type KeyRow = ServiceKeysTable & { service_name: string; service_state: string };

export function keysWithService(db: Db) {
  return db
    .selectFrom('service_keys as k')
    .innerJoin('services as s', 's.id', 'k.service_id')
    .selectAll('k')
    .select(['s.name as service_name', 's.state as service_state']);
}

/**
 * keysWithService, plus the key's id and token hash and the service's id as the rows themselves
 * hold them: on SQLite each table is joined to itself by rowid, which reads the row, never an
 * index (store/index-guard.ts). Still one statement, so an unknown and a revoked token run the
 * same single query. checkedKey compares them.
 */
export function confirmedKeys(db: Db) {
  const q = keysWithService(db);
  if (!confirmsByRowid(db, 'service_keys', 'services')) return q.select(['k.id as row_id', 'k.token_hash as row_token_hash', 's.id as row_service_id']);
  return q
    .innerJoin('service_keys as kr', (join) => join.on(sql<boolean>`"kr"."rowid" = "k"."rowid"`))
    .innerJoin('services as sr', (join) => join.on(sql<boolean>`"sr"."rowid" = "s"."rowid"`))
    .select(['kr.id as row_id', 'kr.token_hash as row_token_hash', 'sr.id as row_service_id']);
}

type ConfirmedKeyRow = KeyRow & { row_id: string; row_token_hash: string; row_service_id: string };

/** A key row found by `column = value`, unless the index that found it disagrees with the rows. */
export function checkedKey(row: ConfirmedKeyRow | undefined, column: 'id' | 'token_hash', value: string): KeyRow | undefined {
  if (row === undefined) return row;
  const { row_id, row_token_hash, row_service_id, ...key } = row;
  if ((column === 'id' ? row_id : row_token_hash) !== value) throw indexLie('service_keys', column);
  if (row_service_id !== key.service_id) throw indexLie('services', 'id');
  return key;
}

/** A key by id, or by name (unique within its service; `service` narrows an ambiguous name). */
export async function getKey(db: Db, ref: string, serviceId?: string): Promise<KeyRow> {
  if (looksLikeId('key', ref)) {
    const row = checkedKey(await confirmedKeys(db).where('k.id', '=', ref).executeTakeFirst(), 'id', ref);
    if (row) return row;
  } else {
    let q = keysWithService(db).where('k.name_key', '=', nameKey(ref));
    if (serviceId !== undefined) q = q.where('k.service_id', '=', serviceId);
    const rows = await q.limit(2).execute();
    if (rows.length === 2) throw new UsageError(`key name ${JSON.stringify(ref)} is used by several services`, 'pass the key id (key_…) or --service');
    if (rows[0]) return rows[0];
  }
  assertIdShape('key', ref);
  throw new NotFoundError(`key ${JSON.stringify(ref.slice(0, 80))} not found`, 'pass a key id (key_…) or name; see accessctl key list');
}

export async function findKeyByName(db: Db, serviceId: string, name: string): Promise<ServiceKeysTable | undefined> {
  return db.selectFrom('service_keys').selectAll().where('service_id', '=', serviceId).where('name_key', '=', nameKey(name)).executeTakeFirst();
}

export function streamKeys(db: Db, serviceId?: string) {
  let q = keysWithService(db);
  if (serviceId !== undefined) q = q.where('k.service_id', '=', serviceId);
  return q.orderBy('s.name_key').orderBy('k.name_key').orderBy('k.id').stream();
}

export async function keysOfService(db: Db, serviceId: string): Promise<ServiceKeysTable[]> {
  return db.selectFrom('service_keys').selectAll().where('service_id', '=', serviceId).orderBy('created_at').execute();
}

export async function keyByTokenHash(db: Db, hash: string): Promise<KeyRow | undefined> {
  return checkedKey(await confirmedKeys(db).where('k.token_hash', '=', hash).executeTakeFirst(), 'token_hash', hash);
}

export async function keyById(db: Db, id: string): Promise<KeyRow | undefined> {
  return checkedKey(await confirmedKeys(db).where('k.id', '=', id).executeTakeFirst(), 'id', id);
}

/** A short-lived token's row with token.maxTtl as stored (value and when it was set), judged together at check time. */
export type ExchangeTokenRow = ExchangeTokensTable & { max_ttl: string | null; max_ttl_set_at: number | null };

/**
 * The token by hash, joined with the setting its lifetime is judged by: one statement, literal key
 * so compiled parameters stay [hash]. As in confirmedKeys, the token's hash and the setting's key
 * are also read from the rows themselves (checkedExchangeToken compares them).
 */
export function exchangeTokenQuery(db: Db) {
  const q = db
    .selectFrom('exchange_tokens as t')
    .leftJoin('settings as s', (join) => join.on('s.key', '=', sql.lit('token.maxTtl')))
    .selectAll('t')
    .select(['s.value as max_ttl', 's.updated_at as max_ttl_set_at']);
  if (!confirmsByRowid(db, 'exchange_tokens', 'settings')) return q.select(['t.token_hash as row_token_hash', 's.key as row_setting_key']);
  return q
    .innerJoin('exchange_tokens as tr', (join) => join.on(sql<boolean>`"tr"."rowid" = "t"."rowid"`))
    .leftJoin('settings as sr', (join) => join.on(sql<boolean>`"sr"."rowid" = "s"."rowid"`))
    .select(['tr.token_hash as row_token_hash', 'sr.key as row_setting_key']);
}

type ConfirmedExchangeRow = ExchangeTokenRow & { row_token_hash: string; row_setting_key: string | null };

export function checkedExchangeToken(row: ConfirmedExchangeRow | undefined, hash: string): ExchangeTokenRow | undefined {
  if (row === undefined) return row;
  const { row_token_hash, row_setting_key, ...token } = row;
  if (row_token_hash !== hash) throw indexLie('exchange_tokens', 'token_hash');
  if (token.max_ttl !== null && row_setting_key !== 'token.maxTtl') throw indexLie('settings', 'key');
  return token;
}

export async function exchangeTokenByHash(db: Db, hash: string): Promise<ExchangeTokenRow | undefined> {
  return checkedExchangeToken(await exchangeTokenQuery(db).where('t.token_hash', '=', hash).executeTakeFirst(), hash);
}

/**
 * Records a key's use. Telemetry never waits: on PostgreSQL a key row locked by a writer (a
 * revoke or rotate in flight) is skipped rather than waited for; no advisory lock is taken.
 */
export async function touchLastUsed(db: Db, id: string, now: number): Promise<void> {
  const update = db.updateTable('service_keys').set({ last_used_at: now });
  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    await update.where('id', '=', (eb) => eb.selectFrom('service_keys').select('id').where('id', '=', id).forUpdate().skipLocked()).execute();
    return;
  }
  await update.where('id', '=', id).execute();
}
