import { ConflictError } from '../../../domain/errors.js';
import { linkPut, linkRemoved } from '../../../domain/audit-events.js';
import { formatTimestamp } from '../../../domain/time.js';
import { takeLink } from '../../../store/cascade.js';
import { getLinks, linkRow, putLink, type LinkTableName } from '../../../store/links.js';
import type { Tx } from '../../../store/mutate.js';
import { notAsWritten } from '../../../store/read-back.js';

/** Refuses to add to a group that has already expired: it would grant nothing. */
export function assertUnexpired(group: { id: string; name: string; expires_at: number | null }, now: number, kind: string): void {
  if (group.expires_at !== null && group.expires_at <= now) {
    throw new ConflictError(
      `${kind} ${group.name} expired at ${formatTimestamp(group.expires_at)}`,
      `extend it first (accessctl ${kind} update -i ${group.id} --ttl 2h) or create a new one`,
    );
  }
}

/**
 * Adds or re-times links, one audit event per link that changed. A link added here gives access
 * now: a membership that was to start later starts now.
 */
export async function addLinks(tx: Tx, table: LinkTableName, ownerType: string, ownerId: string, memberType: string, memberIds: string[], expiresAt: number | null): Promise<void> {
  const existing = await getLinks(tx.db, table, ownerId, memberIds);
  for (const id of memberIds) {
    const previous = existing.get(id);
    // An expired link is replaced as if new; an identical live, started one is left alone.
    if (previous && previous.expiresAt === expiresAt && (previous.startsAt === null || previous.startsAt <= tx.now)) continue;
    await putLink(tx.db, table, ownerId, id, expiresAt, tx.now, previous !== undefined);
    const after = linkRow(table, ownerId, id, { startsAt: null, expiresAt }, tx.now);
    if (!previous) tx.audit(linkPut(table, after, null));
    else {
      const { created_at: _c, ...changed } = after;
      tx.audit(linkPut(table, changed, linkRow(table, ownerId, id, previous, 0)));
    }
  }
}

export async function removeLinks(tx: Tx, table: LinkTableName, ownerType: string, ownerId: string, memberType: string, memberIds: string[], note: (m: string) => void): Promise<void> {
  for (const id of memberIds) {
    const removed = await takeLink(tx.db, table, ownerId, id);
    if (removed) {
      tx.audit(linkRemoved(table, removed));
    } else {
      // Nothing was deleted: the link must really be absent, not kept by the store.
      if ((await getLinks(tx.db, table, ownerId, [id])).has(id)) throw notAsWritten(`${table} ${ownerId} ${id} is still there after it was deleted`);
      note(`${memberType} ${id} was not linked to ${ownerType} ${ownerId}; nothing to remove`);
    }
  }
}
