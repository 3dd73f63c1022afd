import { ConflictError, DeniedError, UsageError } from '../../../domain/errors.js';
import { assertKeyAction, keyStatus, KEY_STATUSES, type KeyStatus } from '../../../domain/key-lifecycle.js';
import { effectiveSettings } from '../../../domain/settings.js';
import { formatDuration, formatTimestamp, parseTimestamp } from '../../../domain/time.js';
import { hashToken, newToken, tokenHint } from '../../../domain/tokens.js';
import { nameKey, parseEnum, validateName } from '../../../domain/validate.js';
import { findKeyByName, getKey, keysOfService, streamKeys, type KeyRow } from '../../../store/keys.js';
import { keyCreated, keyDeleted, keyUpdated, tokenExchanged } from '../../../domain/audit-events.js';
import { mutate, type Tx } from '../../../store/mutate.js';
import { verifyExpectations } from '../../../store/read-back.js';
import { getService } from '../../../store/services.js';
import { readSettings } from '../../../store/settings.js';
import type { ServiceKeysTable, ServicesTable } from '../../../store/tables.js';
import type { OutputRecord } from '../../../output/fields.js';
import type { Ctx } from '../../context.js';
import type { Output } from '../../emit.js';
import { deliverSecret } from '../../deliver.js';
import { meta, orSkip, showMany } from '../shared.js';
import { authenticateToken, readToken, type TokenSource } from './authenticate.js';

const DAY = 86_400_000;

export function keyRecord(k: ServiceKeysTable, serviceName: string, now: number): OutputRecord {
  return {
    id: k.id,
    serviceId: k.service_id,
    serviceName,
    name: k.name,
    status: keyStatus({ revokedAt: k.revoked_at, expiresAt: k.expires_at }, now),
    hint: k.hint,
    createdAt: formatTimestamp(k.created_at),
    expiresAt: formatTimestamp(k.expires_at),
    revokedAt: formatTimestamp(k.revoked_at),
    lastUsedAt: formatTimestamp(k.last_used_at),
  };
}

export const statusOf = (k: ServiceKeysTable, now: number): KeyStatus => keyStatus({ revokedAt: k.revoked_at, expiresAt: k.expires_at }, now);

/** The name a rotated key takes, freeing its own for its successor: `deploy` → `deploy-rotated-1`. */
/** The name `key rotate` gives the key it replaces: NAME-rotated-N. */
export const ROTATED_RE = /-rotated-[0-9]+$/i;

/** A name ending in -rotated-N marks a key winding down after a rotation; people may not pick one. */
export function validateKeyName(name: string): string {
  const valid = validateName('key', name);
  if (ROTATED_RE.test(valid)) throw new UsageError(`invalid key name ${JSON.stringify(valid)}`, 'names ending in -rotated-N are given to keys replaced by key rotate');
  return valid;
}

/**
 * Issues a key inside a mutation: cap checked, only the hash stored, the token returned once.
 * `lifetime` is in milliseconds, 0 = never; undefined takes key.defaultExpirationDays.
 */
export async function issueKey(
  tx: Tx,
  service: ServicesTable,
  name: string | undefined,
  lifetime: number | undefined,
  rotatedFrom?: string,
): Promise<{ row: ServiceKeysTable; token: string }> {
  const settings = effectiveSettings(await readSettings(tx.db));
  const keys = await keysOfService(tx.db, service.id);
  const active = keys.filter((k) => statusOf(k, tx.now) === 'ACTIVE').length;
  if (active >= settings.keyMaxActivePerService) {
    throw new ConflictError(
      `service ${service.name} already holds ${active} ACTIVE keys (the cap is ${settings.keyMaxActivePerService})`,
      'revoke one first, or raise key.maxActivePerService with accessctl config set',
    );
  }
  const keyName = name === undefined ? nextKeyName(keys) : name;
  if (await findKeyByName(tx.db, service.id, keyName)) {
    throw new ConflictError(`service ${service.name} already has a key named ${JSON.stringify(keyName)}`, 'key names are unique within a service');
  }
  const ms = lifetime ?? settings.keyDefaultExpirationDays * DAY;
  const token = newToken('key', tx.ids);
  const row: ServiceKeysTable = {
    id: tx.ids.id('key'),
    service_id: service.id,
    name: keyName,
    name_key: nameKey(keyName),
    token_hash: hashToken(token),
    hint: tokenHint(token),
    created_at: tx.now,
    expires_at: ms === 0 ? null : tx.now + ms,
    revoked_at: null,
    last_used_at: null,
  };
  await tx.db.insertInto('service_keys').values(row).execute();
  tx.expect('service_keys', { id: row.id }, { ...row });
  tx.audit(rotatedFrom === undefined ? keyCreated(row, 'create') : keyCreated(row, 'rotate', { rotatedFrom }));
  return { row, token };
}

function nextKeyName(keys: readonly ServiceKeysTable[]): string {
  const taken = new Set(keys.map((k) => k.name_key));
  for (let n = keys.length + 1; ; n++) if (!taken.has(`key-${n}`)) return `key-${n}`;
}

export interface KeyCreateOptions {
  service: string;
  name?: string | undefined;
  /** Milliseconds until the key expires; 0 = never. */
  expiration?: number | undefined;
}

export async function runKeyCreate(opts: KeyCreateOptions, ctx: Ctx): Promise<Output> {
  const m = meta(ctx);
  let delivered: Output | undefined;
  await mutate(
    ctx.store().db,
    m,
    async (tx) => {
      const service = await getService(tx.db, opts.service);
      if (service.state !== 'ACTIVE') ctx.warn(`note: service ${service.name} is ${service.state}; its keys are invalid until it is enabled`);
      return { ...(await issueKey(tx, service, opts.name === undefined ? undefined : validateKeyName(opts.name), opts.expiration)), service };
    },
    // The token goes out before COMMIT: if nobody can receive it, the key is never created.
    { deliver: async ({ row, token, service }) => void (delivered = await deliverSecret(ctx, 'newKey', [{ ...keyRecord(row, service.name, m.now), token }])) },
  );
  return delivered!;
}

export interface KeyListOptions {
  service?: string | undefined;
  status?: string | undefined;
  expiringWithin?: number | undefined;
  unusedFor?: number | undefined;
  neverUsed?: boolean | undefined;
}

export async function runKeyList(opts: KeyListOptions, ctx: Ctx): Promise<Output> {
  const db = ctx.store().db;
  const now = ctx.clock.now();
  const status = opts.status === undefined ? undefined : parseEnum('status', KEY_STATUSES, opts.status);
  const serviceId = opts.service === undefined ? undefined : (await getService(db, opts.service)).id;
  const horizon = opts.expiringWithin === undefined ? undefined : now + opts.expiringWithin;
  const unusedSince = opts.unusedFor === undefined ? undefined : now - opts.unusedFor;
  async function* records() {
    for await (const k of streamKeys(db, serviceId)) {
      const s = statusOf(k, now);
      if (status !== undefined && s !== status) continue;
      if (horizon !== undefined && (s !== 'ACTIVE' || k.expires_at === null || k.expires_at > horizon)) continue;
      // A key never used counts from its creation: a key made yesterday is not "unused for 90 days".
      if (unusedSince !== undefined && (k.last_used_at ?? k.created_at) > unusedSince) continue;
      if (opts.neverUsed && k.last_used_at !== null) continue;
      yield keyRecord(k, k.service_name, now);
    }
  }
  return { kind: 'key', records: records(), omit: opts.service !== undefined ? ['serviceName'] : undefined };
}

export async function runKeyShow(refs: string[], ctx: Ctx): Promise<Output> {
  const db = ctx.store().db;
  const now = ctx.clock.now();
  return showMany(ctx, 'key', refs, async (ref) => {
    try {
      const k = await getKey(db, ref);
      return keyRecord(k, k.service_name, now);
    } catch (err) {
      if ((err as { exitCode?: number }).exitCode === 3) return undefined;
      throw err;
    }
  });
}

export async function runKeyRename(ref: string, name: string, ctx: Ctx): Promise<Output> {
  const newName = validateKeyName(name);
  const m = meta(ctx);
  const row = await mutate(ctx.store().db, m, async (tx) => {
    const k = await getKey(tx.db, ref);
    assertKeyAction(k.id, statusOf(k, tx.now), 'rename');
    if (nameKey(newName) !== k.name_key && (await findKeyByName(tx.db, k.service_id, newName))) {
      throw new ConflictError(`service ${k.service_name} already has a key named ${JSON.stringify(newName)}`);
    }
    if (newName === k.name) return k;
    const renamed = { ...k, name: newName, name_key: nameKey(newName) };
    await tx.db.updateTable('service_keys').set({ name: newName, name_key: nameKey(newName) }).where('id', '=', k.id).execute();
    tx.expect('service_keys', { id: k.id }, renamed);
    tx.audit(keyUpdated('key.rename', k, renamed, 'rename'));
    return renamed;
  });
  return { kind: 'key', records: [keyRecord(row, row.service_name, m.now)] };
}

export async function revokeKey(tx: Tx, k: KeyRow, cause: 'revoke' | 'rotate'): Promise<KeyRow> {
  // Its exchanged tokens stay until sweep so that a check can say why they fail; they die with the key.
  const revoked = { ...k, revoked_at: tx.now };
  await tx.db.updateTable('service_keys').set({ revoked_at: tx.now }).where('id', '=', k.id).execute();
  tx.expect('service_keys', { id: k.id }, revoked);
  tx.audit(keyUpdated('key.revoke', k, revoked, cause));
  return revoked;
}

export async function runKeyRevoke(refs: string[], ctx: Ctx): Promise<Output> {
  const m = meta(ctx);
  const rows = await mutate(ctx.store().db, m, async (tx) => {
    const out = new Map<string, KeyRow>();
    for (const ref of refs) {
      const k = await getKey(tx.db, ref);
      if (out.has(k.id)) continue;
      assertKeyAction(k.id, statusOf(k, tx.now), 'revoke');
      out.set(k.id, await revokeKey(tx, k, 'revoke'));
    }
    return [...out.values()];
  });
  return { kind: 'key', records: rows.map((k) => keyRecord(k, k.service_name, m.now)) };
}

export async function runKeyDelete(refs: string[], ctx: Ctx, ignoreNotFound = false): Promise<Output> {
  const m = meta(ctx);
  const rows = await mutate(ctx.store().db, m, async (tx) => {
    const out = new Map<string, KeyRow>();
    for (const ref of refs) {
      const k = await orSkip(ctx, ignoreNotFound, () => getKey(tx.db, ref));
      if (!k || out.has(k.id)) continue;
      const status = statusOf(k, tx.now);
      assertKeyAction(k.id, status, 'delete');
      await tx.db.deleteFrom('service_keys').where('id', '=', k.id).execute();
      tx.expect('service_keys', { id: k.id }, null);
      tx.audit(keyDeleted(k, 'delete', { status }));
      out.set(k.id, k);
    }
    return [...out.values()];
  });
  return { kind: 'key', records: rows.map((k) => keyRecord(k, k.service_name, m.now)) };
}

export interface KeyExchangeOptions {
  source: TokenSource;
  ttl?: number | undefined;
}

/** Trades a key token for a short-lived one; it dies with its key, at once. */
export async function runKeyExchange(opts: KeyExchangeOptions, ctx: Ctx): Promise<Output> {
  const token = await readToken(ctx, opts.source);
  if (!token.startsWith('ack_')) throw new UsageError('key exchange takes a key token (ack_…)', 'a short-lived token cannot be exchanged again');
  const auth = await authenticateToken(ctx, token);
  if (!auth.valid) throw new DeniedError(`invalid token: ${auth.reason}`);
  const m = meta(ctx);
  const settings = effectiveSettings(await readSettings(ctx.store().db));
  const ttl = opts.ttl ?? settings.tokenDefaultTtlMs;
  if (ttl > settings.tokenMaxTtlMs) {
    throw new UsageError(`--ttl is longer than token.maxTtl (${formatDuration(settings.tokenMaxTtlMs)})`, 'ask for less, or raise token.maxTtl');
  }
  const shortLived = newToken('exchange', ctx.ids);
  let delivered: Output | undefined;
  await mutate(ctx.store().db, m, async (tx) => {
    const k = await getKey(tx.db, auth.keyId!);
    // The key's state is re-read under the write lock: a revoke in between wins.
    if (statusOf(k, tx.now) !== 'ACTIVE' || k.service_state !== 'ACTIVE') throw new DeniedError(`invalid token: key ${k.id} is no longer valid`);
    const expiresAt = k.expires_at === null ? tx.now + ttl : Math.min(k.expires_at, tx.now + ttl);
    const id = tx.ids.id('token');
    await tx.db.insertInto('exchange_tokens').values({ id, key_id: k.id, token_hash: hashToken(shortLived), created_at: tx.now, expires_at: expiresAt }).execute();
    tx.audit(tokenExchanged(k.id, { id, hint: tokenHint(shortLived), expiresAt, tokenHash: hashToken(shortLived), createdAt: tx.now }));
    return { id, keyId: k.id, serviceId: k.service_id, serviceName: k.service_name, createdAt: formatTimestamp(tx.now), expiresAt: formatTimestamp(expiresAt), token: shortLived };
  }, {
    // The short-lived token's row is read back: a token printed is a token the store holds.
    readBack: async (record, db) => {
      const row = { id: record.id, key_id: record.keyId, token_hash: hashToken(shortLived), created_at: m.now, expires_at: parseTimestamp(record.expiresAt!) };
      await verifyExpectations(db, [{ table: 'exchange_tokens', key: { id: record.id }, row }]);
    },
    // The token goes out before COMMIT: if nobody can receive it, it never exists.
    deliver: async (record) => void (delivered = await deliverSecret(ctx, 'exchangedToken', [record])),
  });
  return delivered!;
}

export async function runKeyVerify(source: TokenSource, ctx: Ctx): Promise<Output> {
  const token = await readToken(ctx, source);
  const auth = await authenticateToken(ctx, token);
  return {
    kind: 'verification',
    records: [
      {
        valid: auth.valid,
        keyId: auth.keyId,
        serviceId: auth.serviceId,
        serviceName: auth.serviceName,
        status: auth.status,
        expiresAt: formatTimestamp(auth.expiresAt),
        reason: auth.reason,
      },
    ],
    after: auth.valid ? undefined : new DeniedError(`invalid token: ${auth.reason}`),
  };
}
