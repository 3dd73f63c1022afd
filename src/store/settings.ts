import type { Db } from './mutate.js';

export async function readSettings(db: Db): Promise<Map<string, { value: string; updatedAt: number }>> {
  const rows = await db.selectFrom('settings').selectAll().execute();
  return new Map(rows.map((r) => [r.key, { value: r.value, updatedAt: r.updated_at }]));
}

export async function writeSetting(db: Db, key: string, value: string, now: number): Promise<void> {
  await db
    .insertInto('settings')
    .values({ key, value, updated_at: now })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value, updated_at: now }))
    .execute();
}
