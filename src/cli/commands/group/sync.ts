import { parseColumnMap } from '../../../domain/sync/providers.js';
import { nameKey, validateEmail, validateName } from '../../../domain/validate.js';
import { prepareBulkWrite } from '../../../store/store.js';
import { syncGroups, type GroupSyncChange, type GroupSyncCounts, type GroupSyncProblem, type MembershipRow } from '../../../store/group-sync.js';
import { mutate } from '../../../store/mutate.js';
import type { Ctx } from '../../context.js';
import { collectRows, importErrors, ownColumns, type HeaderReader } from '../../csv-import.js';
import type { Output } from '../../emit.js';
import { meta } from '../shared.js';

export const DEFAULT_MAX_REMOVE = 10;
export const MEMBERSHIP_COLUMNS = ['group', 'email'] as const;
type MembershipField = (typeof MEMBERSHIP_COLUMNS)[number];

export interface GroupSyncOptions {
  map?: string | undefined;
  dryRun?: boolean | undefined;
  maxRemove?: number | undefined;
}

/**
 * `group sync`: each group a membership export names gets exactly its members (SPEC section 14).
 * Every bad line, unknown emails included, is reported before anything is written (exit 2); one
 * transaction; a second run of the same file changes nothing.
 */
export async function runGroupSync(file: string, opts: GroupSyncOptions, ctx: Ctx): Promise<Output> {
  const rows = await collectRows<MembershipRow>(
    ctx,
    file,
    MEMBERSHIP_COLUMNS,
    MEMBERSHIP_COLUMNS,
    (row) => {
      const group = validateName('group', row.group ?? '');
      const email = validateEmail(row.email ?? '');
      const patch = { group, groupKey: nameKey(group), email, emailKey: nameKey(email) };
      return { key: `${patch.groupKey}\n${patch.emailKey}`, name: `${email} in ${group}`, patch };
    },
    opts.map === undefined ? ownColumns(MEMBERSHIP_COLUMNS) : mappedColumns(ctx, parseColumnMap(opts.map, MEMBERSHIP_COLUMNS)),
  );
  const memberships: MembershipRow[] = [];
  try {
    await rows.eachChunk(5000, async (chunk) => {
      for (const r of chunk) memberships.push({ line: r.line, ...(r.patch as Omit<MembershipRow, 'line'>) });
    });
  } finally {
    rows.cleanup();
  }
  const dryRun = Boolean(opts.dryRun);
  const changes: GroupSyncChange[] = [];
  const options = (now: number) => ({ maxRemove: opts.maxRemove ?? DEFAULT_MAX_REMOVE, fileSha256: rows.sha256, newId: () => ctx.ids.id('group'), now });
  let result: GroupSyncCounts | GroupSyncProblem[];
  if (dryRun) result = await syncGroups(ctx.store().db, null, memberships, options(ctx.clock.now()), (c) => changes.push(c));
  else {
    prepareBulkWrite(ctx.store());
    result = await mutate(ctx.store().db, meta(ctx), (tx) => {
      changes.length = 0;
      return syncGroups(tx.db, tx, memberships, options(tx.now), (c) => changes.push(c));
    });
  }
  if (Array.isArray(result)) throw importErrors(result, result.length);
  const counts = result;
  for (const c of changes) {
    if (c.action === 'update') ctx.note(`note: group ${c.name} was ${(c.changes.type as { from: string }).from}; ${dryRun ? 'it would become' : 'it is now'} SYNCED, its members managed by the file`);
  }
  const verbs = dryRun ? ['would create', 'convert', 'add', 'remove'] : ['created', 'converted', 'added', 'removed'];
  const prefix = dryRun ? 'dry run, nothing changed: ' : '';
  ctx.note(
    `${prefix}${verbs[0]} ${counts.created} groups, ${verbs[1]} ${counts.updated} to SYNCED, ${verbs[2]} ${counts.added} members, ${verbs[3]} ${counts.removed} (${memberships.length} rows, ${counts.groups} groups, file sha256 ${rows.sha256.slice(0, 12)})`,
  );
  return { kind: 'importChange', records: changes as unknown as Output['records'] };
}

/**
 * A mapped layout: the columns the map names, then those spelled as accessctl's own (group,
 * email) for a field the map leaves; any other column is ignored, and named once on stderr.
 */
function mappedColumns(ctx: Ctx, map: Record<string, MembershipField>): HeaderReader {
  let noted = false;
  return (header) => {
    const mapped = new Set(Object.values(map));
    const fields = header.map((h) => {
      const key = h.trim().toLowerCase();
      if (map[key] !== undefined) return map[key];
      const own = MEMBERSHIP_COLUMNS.find((c) => c === key);
      return own !== undefined && !mapped.has(own) ? own : null;
    });
    const ignored = header.filter((_, i) => fields[i] === null);
    if (ignored.length > 0 && !noted) {
      noted = true;
      ctx.note(`note: ignoring CSV column${ignored.length === 1 ? '' : 's'} ${ignored.map((c) => JSON.stringify(c.trim().slice(0, 40))).join(', ')} (not mapped)`);
    }
    return fields;
  };
}
