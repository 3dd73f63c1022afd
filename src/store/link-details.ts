import type { Db } from './mutate.js';

export interface LinkDetail {
  type: 'user' | 'resource' | 'service' | 'group';
  id: string;
  name: string;
  /** When the link gives access from: a membership's own start, else when it was made. */
  startsAt: number;
  expiresAt: number | null;
}

/**
 * A group's unexpired members, resources and services by name, each with its own start and
 * expiry: what `group show` prints, so a link added with --ttl shows when it ends, and a
 * membership approved for later when it starts.
 */
export async function groupLinkDetails(db: Db, groupId: string, now: number): Promise<LinkDetail[]> {
  const live = <T extends { expires_at: number | null }>(rows: T[]) => rows.filter((r) => r.expires_at === null || r.expires_at > now);
  const [users, resources, services] = await Promise.all([
    db
      .selectFrom('group_users')
      .innerJoin('users', 'users.id', 'group_users.user_id')
      .select(['users.id as id', 'users.email as name', 'users.email_key as key', 'group_users.created_at', 'group_users.starts_at', 'group_users.expires_at'])
      .where('group_users.group_id', '=', groupId)
      .execute(),
    db
      .selectFrom('group_resources')
      .innerJoin('resources', 'resources.id', 'group_resources.resource_id')
      .select(['resources.id as id', 'resources.name as name', 'resources.name_key as key', 'group_resources.created_at', 'group_resources.expires_at'])
      .where('group_resources.group_id', '=', groupId)
      .execute(),
    db
      .selectFrom('group_services')
      .innerJoin('services', 'services.id', 'group_services.service_id')
      .select(['services.id as id', 'services.name as name', 'services.name_key as key', 'group_services.created_at', 'group_services.expires_at'])
      .where('group_services.group_id', '=', groupId)
      .execute(),
  ]);
  const detail = (type: LinkDetail['type'], rows: Array<{ id: string; name: string; key: string; created_at: number; starts_at?: number | null; expires_at: number | null }>) =>
    live(rows)
      // Code-point order of the name key, as every list: the same on every machine and locale.
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
      .map((r): LinkDetail => ({ type, id: r.id, name: r.name, startsAt: Number(r.starts_at ?? r.created_at), expiresAt: r.expires_at === null ? null : Number(r.expires_at) }));
  return [...detail('user', users), ...detail('resource', resources), ...detail('service', services)];
}

/**
 * A service's unexpired resources and groups by name, each with its own start and expiry: what
 * `service show` prints in a table, by name as `group show` does.
 */
export async function serviceLinkDetails(db: Db, serviceId: string, now: number): Promise<LinkDetail[]> {
  const [resources, groups] = await Promise.all([
    db
      .selectFrom('service_resources')
      .innerJoin('resources', 'resources.id', 'service_resources.resource_id')
      .select(['resources.id as id', 'resources.name as name', 'resources.name_key as key', 'service_resources.created_at', 'service_resources.expires_at'])
      .where('service_resources.service_id', '=', serviceId)
      .execute(),
    db
      .selectFrom('group_services')
      .innerJoin('groups', 'groups.id', 'group_services.group_id')
      .select(['groups.id as id', 'groups.name as name', 'groups.name_key as key', 'group_services.created_at', 'group_services.expires_at'])
      .where('group_services.service_id', '=', serviceId)
      .execute(),
  ]);
  const detail = (type: LinkDetail['type'], rows: Array<{ id: string; name: string; key: string; created_at: number; expires_at: number | null }>) =>
    rows
      .filter((r) => r.expires_at === null || r.expires_at > now)
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
      .map((r): LinkDetail => ({ type, id: r.id, name: r.name, startsAt: Number(r.created_at), expiresAt: r.expires_at === null ? null : Number(r.expires_at) }));
  return [...detail('resource', resources), ...detail('group', groups)];
}
