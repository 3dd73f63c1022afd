import type { ExportLink, ExportLinkTable, ExportSource } from '../domain/access-code/export.js';
import type { Db } from './mutate.js';

const OWNER: Record<ExportLinkTable, { owner: 'group_id' | 'service_id'; member: 'user_id' | 'resource_id' | 'service_id' }> = {
  group_users: { owner: 'group_id', member: 'user_id' },
  group_resources: { owner: 'group_id', member: 'resource_id' },
  group_services: { owner: 'group_id', member: 'service_id' },
  service_resources: { owner: 'service_id', member: 'resource_id' },
};

/** What export needs of the store: the objects now, the links of a batch of owners when asked. */
export async function exportSource(db: Db): Promise<ExportSource> {
  const settings = new Map((await db.selectFrom('settings').select(['key', 'value']).execute()).map((r) => [r.key, r.value]));
  return {
    settings,
    users: await db.selectFrom('users').select(['id', 'email', 'email_key', 'first_name', 'last_name', 'role', 'state']).execute(),
    resources: await db.selectFrom('resources').selectAll().execute(),
    services: await db.selectFrom('services').selectAll().execute(),
    groups: await db.selectFrom('groups').selectAll().execute(),
    async links(table, owners) {
      const { owner, member } = OWNER[table];
      const rows = await (db as Db)
        .selectFrom(table as 'group_users')
        .select([`${owner} as owner`, `${member} as member`, 'expires_at', ...(table === 'group_users' ? (['starts_at'] as const) : [])] as never)
        .where(owner as 'group_id', 'in', owners as string[])
        .execute();
      return rows as unknown as ExportLink[];
    },
  };
}
