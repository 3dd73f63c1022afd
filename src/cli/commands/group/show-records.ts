import { formatTimestamp } from '../../../domain/time.js';
import { groupLinkDetails } from '../../../store/link-details.js';
import type { Db } from '../../../store/mutate.js';
import type { OutputRecord } from '../../../output/fields.js';

/**
 * A group as `show` and the link verbs print it: the group's fields and `links`, every member,
 * resource and service by name with its own start and expiry (a link added with --ttl ends on
 * its own, before the group does).
 */
export async function withLinks(db: Db, records: readonly OutputRecord[], now: number): Promise<OutputRecord[]> {
  const out: OutputRecord[] = [];
  for (const r of records) {
    const links = await groupLinkDetails(db, String(r.id), now);
    out.push({
      ...r,
      links: links.map((l) => ({ type: l.type, id: l.id, name: l.name, startsAt: formatTimestamp(l.startsAt), expiresAt: formatTimestamp(l.expiresAt) })),
    });
  }
  return out;
}
