import { ConflictError } from '../../../domain/errors.js';
import { assertKeyAction } from '../../../domain/key-lifecycle.js';
import { formatTimestamp } from '../../../domain/time.js';
import { nameKey } from '../../../domain/validate.js';
import { keyUpdated } from '../../../domain/audit-events.js';
import { getKey, keysOfService } from '../../../store/keys.js';
import { mutate, type Tx } from '../../../store/mutate.js';
import { getService } from '../../../store/services.js';
import type { ServiceKeysTable, ServicesTable } from '../../../store/tables.js';
import type { Ctx } from '../../context.js';
import type { Output } from '../../emit.js';
import { deliverSecret } from '../../deliver.js';
import { meta } from '../shared.js';
import { issueKey, keyRecord, revokeKey, ROTATED_RE, statusOf, validateKeyName } from './run.js';

export interface KeyRotateOptions {
  ref: string;
  overlap?: number | undefined;
  name?: string | undefined;
  /** Milliseconds until the new key expires, 0 = never; default: the old key's own lifetime. */
  expiration?: number | undefined;
}

/**
 * A new key for the same service that keeps the old one's identity: it takes the old key's name
 * and lifetime (unless -n/-e say otherwise), and the old key, renamed NAME-rotated-N, is revoked
 * now or winds down over the overlap. A key already winding down cannot be rotated again.
 */
export async function runKeyRotate(opts: KeyRotateOptions, ctx: Ctx): Promise<Output> {
  const m = meta(ctx);
  const newName = opts.name === undefined ? undefined : validateKeyName(opts.name);
  let delivered: Output | undefined;
  await mutate(ctx.store().db, m, async (tx) => {
    const old = await getKey(tx.db, opts.ref);
    assertKeyAction(old.id, statusOf(old, tx.now), 'rotate');
    const service = await getService(tx.db, old.service_id);
    const keys = await keysOfService(tx.db, old.service_id);
    if (ROTATED_RE.test(old.name)) {
      const successor = keys.find((k) => k.name_key === nameKey(old.name.replace(ROTATED_RE, '')) && statusOf(k, tx.now) === 'ACTIVE');
      throw new ConflictError(
        `cannot rotate key ${old.id} (${old.name}): it is already winding down after a rotation, until ${formatTimestamp(old.expires_at)}`,
        successor ? `rotate its successor: accessctl key rotate -i ${successor.id}` : 'rotate its successor, or revoke it',
      );
    }
    const lifetime = opts.expiration ?? (old.expires_at === null ? 0 : old.expires_at - old.created_at);
    const name = newName ?? old.name;
    if (nameKey(name) === old.name_key) {
      // The old key steps aside so that its successor can take its name.
      const retired = retiredName(old.name, keys);
      await tx.db.updateTable('service_keys').set({ name: retired, name_key: nameKey(retired) }).where('id', '=', old.id).execute();
      const renamed = { ...old, name: retired, name_key: nameKey(retired) };
      tx.expect('service_keys', { id: old.id }, renamed);
      tx.audit(keyUpdated('key.rotate', old, renamed, 'rotate'));
      old.name = renamed.name;
      old.name_key = renamed.name_key;
    }
    if (opts.overlap === undefined) {
      await revokeKey(tx, old, 'rotate');
    } else {
      const until = old.expires_at === null ? tx.now + opts.overlap : Math.min(old.expires_at, tx.now + opts.overlap);
      await tx.db.updateTable('service_keys').set({ expires_at: until }).where('id', '=', old.id).execute();
      tx.expect('service_keys', { id: old.id }, { ...old, expires_at: until });
      tx.audit(keyUpdated('key.rotate', old, { ...old, expires_at: until }, 'rotate'));
    }
    // The old key still counts against the cap during an overlap: rotation must not be blocked by it.
    const issued = await issueKeyForRotation(tx, service, name, lifetime, old.id);
    return { ...issued, serviceName: service.name };
  }, {
    // The new token goes out before COMMIT: if nobody can receive it, the old key is not revoked.
    deliver: async ({ row, token, serviceName }) => void (delivered = await deliverSecret(ctx, 'newKey', [{ ...keyRecord(row, serviceName, m.now), token }])),
  });
  return delivered!;
}

function retiredName(name: string, keys: readonly ServiceKeysTable[]): string {
  const taken = new Set(keys.map((k) => k.name_key));
  for (let n = 1; ; n++) {
    const suffix = `-rotated-${n}`;
    const candidate = `${name.slice(0, 255 - suffix.length)}${suffix}`;
    if (!taken.has(nameKey(candidate))) return candidate;
  }
}

async function issueKeyForRotation(tx: Tx, service: ServicesTable, name: string, lifetime: number, oldId: string) {
  try {
    return await issueKey(tx, service, name, lifetime, oldId);
  } catch (err) {
    if (err instanceof ConflictError && err.message.includes('ACTIVE keys')) {
      throw new ConflictError(`${err.message}; rotating ${oldId} would exceed it`, 'rotate without --overlap, or raise key.maxActivePerService');
    }
    throw err;
  }
}
