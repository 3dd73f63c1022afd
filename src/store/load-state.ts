import { emptyState, linkKey, type State } from '../domain/state.js';
import type { Db } from './mutate.js';

/** The live tables as a State (domain/state.ts): what replay is compared with and a plan starts from. */
export async function loadState(db: Db): Promise<State> {
  const s = emptyState();
  for (const r of await db.selectFrom('users').selectAll().execute()) s.users.set(r.id, r);
  for (const r of await db.selectFrom('resources').selectAll().execute()) s.resources.set(r.id, r);
  for (const r of await db.selectFrom('groups').selectAll().execute()) s.groups.set(r.id, r);
  for (const r of await db.selectFrom('services').selectAll().execute()) s.services.set(r.id, r);
  for (const r of await db.selectFrom('group_users').selectAll().execute()) s.groupUsers.set(linkKey(r.group_id, r.user_id), r);
  for (const r of await db.selectFrom('group_resources').selectAll().execute()) s.groupResources.set(linkKey(r.group_id, r.resource_id), r);
  for (const r of await db.selectFrom('group_services').selectAll().execute()) s.groupServices.set(linkKey(r.group_id, r.service_id), r);
  for (const r of await db.selectFrom('service_resources').selectAll().execute()) s.serviceResources.set(linkKey(r.service_id, r.resource_id), r);
  for (const r of await db.selectFrom('service_keys').selectAll().execute()) s.keys.set(r.id, r);
  for (const r of await db.selectFrom('requests').selectAll().execute()) s.requests.set(r.id, r);
  for (const r of await db.selectFrom('reviews').selectAll().execute()) s.reviews.set(r.id, r);
  for (const r of await db.selectFrom('review_items').selectAll().execute()) s.reviewItems.set(linkKey(r.review_id, String(r.item)), r);
  for (const r of await db.selectFrom('settings').selectAll().execute()) s.settings.set(r.key, r.value);
  return s;
}
