import { linkPut, linkRemoved, objectCreated, objectUpdated } from '../domain/audit-events.js';
import { ConflictError } from '../domain/errors.js';
import type { Db, Tx } from './mutate.js';
import type { GroupsTable } from './tables.js';

/** One membership of the file: the group and the user it names, with the line it is on. */
export interface MembershipRow {
  line: number;
  group: string;
  groupKey: string;
  email: string;
  emailKey: string;
}

/** One change a group sync makes (or, for a dry run, would make): the fields of `importChange`. */
export interface GroupSyncChange {
  line: number | null;
  action: 'create' | 'update' | 'add' | 'remove';
  id: string | null;
  name: string;
  changes: Record<string, unknown>;
}

export interface GroupSyncCounts {
  created: number;
  updated: number;
  added: number;
  removed: number;
  groups: number;
}

export interface GroupSyncOptions {
  maxRemove: number;
  fileSha256: string;
  newId(): string;
  now: number;
}

/** A line the store cannot take (an unknown email, a SYSTEM group): all of them fail the file. */
export interface GroupSyncProblem {
  line: number;
  message: string;
}

const CHUNK = 500;

interface WantedGroup {
  name: string;
  key: string;
  line: number;
  members: Map<string, { line: number; email: string }>;
}

/**
 * Makes each group named in a membership file `SYNCED` with exactly the users the file lists
 * (SPEC section 14). Groups not named are untouched; so are a group's resources and services, its
 * own expiry, and every member link with an expiry (a grant for a while is not the directory's):
 * only permanent memberships are added and removed. A link that expired is put back permanent
 * when the file names it. Every problem line is returned before anything is written; removing more
 * than `maxRemove` memberships throws (nothing written). With `tx` null (a dry run) it only
 * computes the changes.
 */
export async function syncGroups(db: Db, tx: Tx | null, rows: readonly MembershipRow[], opts: GroupSyncOptions, emit: (change: GroupSyncChange) => void): Promise<GroupSyncCounts | GroupSyncProblem[]> {
  const wanted = new Map<string, WantedGroup>();
  for (const r of rows) {
    let g = wanted.get(r.groupKey);
    if (!g) wanted.set(r.groupKey, (g = { name: r.group, key: r.groupKey, line: r.line, members: new Map() }));
    g.members.set(r.emailKey, { line: r.line, email: r.email });
  }
  const groups = new Map<string, GroupsTable>();
  for (const part of chunks([...wanted.keys()])) {
    for (const g of await db.selectFrom('groups').selectAll().where('name_key', 'in', part).execute()) groups.set(g.name_key, g);
  }
  const users = new Map<string, { id: string; email: string }>();
  for (const part of chunks([...new Set(rows.map((r) => r.emailKey))])) {
    for (const u of await db.selectFrom('users').select(['id', 'email', 'email_key']).where('email_key', 'in', part).execute()) users.set(u.email_key, u);
  }
  const problems: GroupSyncProblem[] = [];
  for (const r of rows) if (!users.has(r.emailKey)) problems.push({ line: r.line, message: `no user with email ${r.email}` });
  for (const g of wanted.values()) {
    const have = groups.get(g.key);
    if (have?.type === 'SYSTEM') problems.push({ line: g.line, message: `group ${have.name} is a SYSTEM group; sync does not manage it` });
    else if (have && have.expires_at !== null && have.expires_at <= opts.now) problems.push({ line: g.line, message: `group ${have.name} has expired; run accessctl sweep first` });
  }
  if (problems.length > 0) return problems.sort((a, b) => a.line - b.line);

  // The whole plan first: the guard is judged before anything is written.
  const plan: Array<() => Promise<void>> = [];
  const counts: GroupSyncCounts = { created: 0, updated: 0, added: 0, removed: 0, groups: wanted.size };
  const audit = (action: string, line: number | null) => ({ action, cause: 'sync', extra: line === null ? { fileSha256: opts.fileSha256 } : { line, fileSha256: opts.fileSha256 } });
  for (const g of [...wanted.values()].sort((a, b) => a.line - b.line)) {
    const have = groups.get(g.key);
    if (!have) {
      const group: GroupsTable = { id: opts.newId(), name: g.name, name_key: g.key, type: 'SYNCED', is_active: 1, expires_at: null, request_policy: null, created_at: opts.now, updated_at: opts.now };
      const links = [...g.members.keys()].map((k) => ({ table: 'group_users' as const, row: { group_id: group.id, user_id: users.get(k)!.id, starts_at: null, expires_at: null, created_at: opts.now } }));
      counts.created++;
      emit({ line: g.line, action: 'create', id: tx ? group.id : null, name: g.name, changes: { type: 'SYNCED', members: g.members.size } });
      for (const [key, m] of g.members) {
        counts.added++;
        emit({ line: m.line, action: 'add', id: tx ? group.id : null, name: g.name, changes: { user: users.get(key)!.email } });
      }
      plan.push(async () => {
        await tx!.db.insertInto('groups').values(group).execute();
        for (const part of chunks(links)) await tx!.db.insertInto('group_users').values(part.map((l) => l.row)).execute();
        tx!.audit(objectCreated('group', group, links, audit('group.sync.create', g.line)));
      });
      continue;
    }
    if (have.type !== 'SYNCED') {
      const after = { ...have, type: 'SYNCED', updated_at: opts.now };
      counts.updated++;
      emit({ line: g.line, action: 'update', id: have.id, name: have.name, changes: { type: { from: have.type, to: 'SYNCED' } } });
      plan.push(async () => {
        await tx!.db.updateTable('groups').set({ type: 'SYNCED', updated_at: opts.now }).where('id', '=', have.id).execute();
        tx!.audit(objectUpdated('group', have, after, audit('group.sync.update', g.line)));
      });
    }
    const links = await db.selectFrom('group_users').innerJoin('users', 'users.id', 'group_users.user_id').select(['group_users.user_id', 'group_users.starts_at', 'group_users.expires_at', 'group_users.created_at', 'users.email', 'users.email_key']).where('group_users.group_id', '=', have.id).execute();
    const linked = new Map(links.map((l) => [l.email_key, l]));
    for (const [key, m] of g.members) {
      const link = linked.get(key);
      const userId = users.get(key)!.id;
      // A membership the directory lists is one from now: a later start is brought forward.
      if (link && (link.expires_at === null || link.expires_at > opts.now) && (link.starts_at === null || link.starts_at <= opts.now)) continue;
      counts.added++;
      const email = users.get(key)!.email;
      emit({ line: m.line, action: 'add', id: have.id, name: have.name, changes: link ? { user: email, expiresAt: { from: link.expires_at, to: null } } : { user: email } });
      plan.push(async () => {
        const row = { group_id: have.id, user_id: userId, starts_at: null, expires_at: null };
        if (link) {
          await tx!.db.updateTable('group_users').set({ starts_at: null, expires_at: null }).where('group_id', '=', have.id).where('user_id', '=', userId).execute();
          tx!.audit(linkPut('group_users', row, { group_id: have.id, user_id: userId, starts_at: link.starts_at, expires_at: link.expires_at }, audit('group.sync.add-user', m.line)));
        } else {
          await tx!.db.insertInto('group_users').values({ ...row, created_at: opts.now }).execute();
          tx!.audit(linkPut('group_users', { ...row, created_at: opts.now }, null, audit('group.sync.add-user', m.line)));
        }
      });
    }
    for (const link of links) {
      if (g.members.has(link.email_key) || link.expires_at !== null) continue;
      counts.removed++;
      emit({ line: null, action: 'remove', id: have.id, name: have.name, changes: { user: link.email } });
      plan.push(async () => {
        await tx!.db.deleteFrom('group_users').where('group_id', '=', have.id).where('user_id', '=', link.user_id).execute();
        tx!.audit(linkRemoved('group_users', { group_id: have.id, user_id: link.user_id, starts_at: link.starts_at, expires_at: null, created_at: link.created_at }, audit('group.sync.remove-user', null)));
      });
    }
  }
  if (counts.removed > opts.maxRemove) {
    throw new ConflictError(
      `the file would remove ${counts.removed} memberships, more than --max-remove ${opts.maxRemove}; nothing changed`,
      'check the export holds every member of the groups it names (a truncated file drops people); if it does, pass --max-remove N',
    );
  }
  if (tx) {
    for (const step of plan) await step();
    await tx.flushAudit();
  }
  return counts;
}

function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK));
  return out;
}
