import { ConflictError, UsageError } from '../../../domain/errors.js';
import { nameKey, parseEnum, ROLES, validateEmail } from '../../../domain/validate.js';
import { validatePersonName } from '../../../domain/person-name.js';
import { objectCreated, objectDeleted, objectUpdated } from '../../../domain/audit-events.js';
import { mutate } from '../../../store/mutate.js';
import { findUser, findUserByLogin, getUser, streamUsers } from '../../../store/users.js';
import { validateLogin } from '../../../domain/login.js';
import type { UsersTable } from '../../../store/tables.js';
import type { Ctx } from '../../context.js';
import type { Output } from '../../emit.js';
import { mapStream, userRecord } from '../../records.js';
import { diff, meta, orSkip, showMany } from '../shared.js';

export interface UserCreateOptions {
  email: string;
  firstName?: string | undefined;
  lastName?: string | undefined;
  role?: string | undefined;
  /** A user with this email is printed as it is, unchanged, exit 0. */
  ifNotExists?: boolean | undefined;
}

export async function runUserCreate(opts: UserCreateOptions, ctx: Ctx): Promise<Output> {
  const email = validateEmail(opts.email);
  const row: UsersTable = {
    id: ctx.ids.id('user'),
    email,
    email_key: nameKey(email),
    first_name: validatePersonName('--first', opts.firstName) ?? '',
    last_name: validatePersonName('--last', opts.lastName) ?? '',
    role: opts.role ? parseEnum('role', ROLES, opts.role) : 'MEMBER',
    state: 'ACTIVE',
    type: 'MANUAL',
    login: null,
    created_at: 0,
    updated_at: 0,
  };
  const db = ctx.store().db;
  const created = await mutate(db, meta(ctx), async (tx) => {
    const existing = await findUser(tx.db, email);
    if (existing && opts.ifNotExists) {
      ctx.note(`note: user ${existing.email} already exists; nothing changed`);
      return existing;
    }
    if (existing) throw new ConflictError(`a user with email ${email} already exists`, 'emails are unique, case-insensitively');
    row.created_at = row.updated_at = tx.now;
    await tx.db.insertInto('users').values(row).execute();
    tx.audit(objectCreated('user', row));
    return row;
  });
  return { kind: 'user', records: [userRecord(created)] };
}

export interface UserListOptions {
  state?: string | undefined;
  role?: string | undefined;
  search?: string | undefined;
}

export async function runUserList(opts: UserListOptions, ctx: Ctx): Promise<Output> {
  const filter = {
    state: opts.state ? parseEnum('state', ['ACTIVE', 'DISABLED'] as const, opts.state) : undefined,
    role: opts.role ? parseEnum('role', ROLES, opts.role) : undefined,
    search: opts.search,
  };
  return { kind: 'user', records: mapStream(streamUsers(ctx.store().db, filter), userRecord) };
}

export async function runUserShow(refs: string[], ctx: Ctx): Promise<Output> {
  return showMany(ctx, 'user', refs, async (ref) => {
    const row = await findUser(ctx.store().db, ref);
    return row ? userRecord(row) : undefined;
  });
}

export interface UserUpdateOptions {
  ref: string;
  email?: string | undefined;
  firstName?: string | undefined;
  lastName?: string | undefined;
  role?: string | undefined;
  /** A login to link (SPEC section 15), or null to unlink. */
  login?: string | null | undefined;
}

export async function runUserUpdate(opts: UserUpdateOptions, ctx: Ctx): Promise<Output> {
  const patch: Partial<UsersTable> = {};
  if (opts.email !== undefined) {
    patch.email = validateEmail(opts.email);
    patch.email_key = nameKey(patch.email);
  }
  if (opts.firstName !== undefined) patch.first_name = validatePersonName('--first', opts.firstName)!;
  if (opts.lastName !== undefined) patch.last_name = validatePersonName('--last', opts.lastName)!;
  if (opts.role !== undefined) patch.role = parseEnum('role', ROLES, opts.role);
  if (opts.login !== undefined) patch.login = opts.login === null ? null : validateLogin(opts.login);
  if (Object.keys(patch).length === 0) throw new UsageError('nothing to update', 'pass --email, --first, --last, --role, --login or --no-login');
  const updated = await mutate(ctx.store().db, meta(ctx), async (tx) => {
    const user = await getUser(tx.db, opts.ref);
    if (patch.email_key && patch.email_key !== user.email_key) {
      if (await findUser(tx.db, patch.email!)) throw new ConflictError(`a user with email ${patch.email} already exists`);
    }
    if (patch.login) {
      const holder = await findUserByLogin(tx.db, patch.login);
      if (holder && holder.id !== user.id) {
        throw new ConflictError(`login ${JSON.stringify(patch.login)} is already linked to ${holder.email}`, `a login belongs to one user; run accessctl user update ${holder.email} --no-login first`);
      }
    }
    const changes = diff(user, patch);
    if (Object.keys(changes).length === 0) return user;
    const next = { ...user, ...patch, updated_at: tx.now };
    await tx.db.updateTable('users').set({ ...patch, updated_at: tx.now }).where('id', '=', user.id).execute();
    tx.expect('users', { id: user.id }, next);
    tx.audit(objectUpdated('user', user, next));
    return next;
  });
  return { kind: 'user', records: [userRecord(updated)] };
}

export async function runUserSetState(refs: string[], state: 'ACTIVE' | 'DISABLED', ctx: Ctx): Promise<Output> {
  const rows = await mutate(ctx.store().db, meta(ctx), async (tx) => {
    const out: UsersTable[] = [];
    for (const ref of refs) {
      const user = await getUser(tx.db, ref);
      if (user.state !== state && !out.some((u) => u.id === user.id)) {
        await tx.db.updateTable('users').set({ state, updated_at: tx.now }).where('id', '=', user.id).execute();
        tx.expect('users', { id: user.id }, { ...user, state, updated_at: tx.now });
        tx.audit(objectUpdated('user', user, { ...user, state, updated_at: tx.now }, { action: state === 'ACTIVE' ? 'user.enable' : 'user.disable' }));
        out.push({ ...user, state, updated_at: tx.now });
      } else if (!out.some((u) => u.id === user.id)) {
        out.push(user);
      }
    }
    return out;
  });
  return { kind: 'user', records: rows.map(userRecord) };
}

export async function runUserDelete(refs: string[], ctx: Ctx, ignoreNotFound = false): Promise<Output> {
  const rows = await mutate(ctx.store().db, meta(ctx), async (tx) => {
    const out: UsersTable[] = [];
    for (const ref of refs) {
      const user = await orSkip(ctx, ignoreNotFound, () => getUser(tx.db, ref));
      if (!user || out.some((u) => u.id === user.id)) continue;
      const memberships = await tx.db.deleteFrom('group_users').where('user_id', '=', user.id).returningAll().execute();
      await tx.db.deleteFrom('users').where('id', '=', user.id).execute();
      tx.audit(objectDeleted('user', user, memberships.map((row) => ({ table: 'group_users' as const, row }))));
      out.push(user);
    }
    return out;
  });
  return { kind: 'user', records: rows.map(userRecord) };
}
