import { objectUpdated } from '../../src/domain/audit-events.js';
import { randomIds } from '../../src/domain/ids.js';
import { buildPolicy, serializePolicy, type PolicyInput } from '../../src/domain/request-policy.js';
import { resolveStoreLocation } from '../../src/store/location.js';
import { openStore } from '../../src/store/open.js';
import { getGroup } from '../../src/store/groups.js';
import { mutate } from '../../src/store/mutate.js';

/**
 * Makes a group requestable on a store file, audited like any group update so that replay and
 * db check agree: test setup for the request commands (null: not requestable).
 */
export async function setRequestPolicy(db: string, group: string, approvers: string | null, input: PolicyInput = {}, now = Date.now()): Promise<void> {
  // A file or a postgres:// URL, as --db takes it.
  const store = openStore({ ...resolveStoreLocation({ db }, {}), access: 'write' });
  try {
    await store.connect?.();
    await mutate(store.db, { now, actor: 'test-setup', ids: randomIds() }, async (tx) => {
      const before = await getGroup(tx.db, group);
      const policy = approvers === null ? null : serializePolicy(buildPolicy((await getGroup(tx.db, approvers)).id, input, null, (f) => f));
      const after = { ...before, request_policy: policy, updated_at: tx.now };
      await tx.db.updateTable('groups').set({ request_policy: policy, updated_at: tx.now }).where('id', '=', before.id).execute();
      tx.audit(objectUpdated('group', before, after));
    });
  } finally {
    await store.close();
  }
}
