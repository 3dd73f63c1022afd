import type { Db } from './mutate.js';

/** When the store last changed (the newest audit event's time), or null for an empty log. */
export async function latestChangeAt(db: Db): Promise<number | null> {
  const row = await db.selectFrom('audit_events').select('at').orderBy('seq', 'desc').limit(1).executeTakeFirst();
  return row ? Number(row.at) : null;
}
