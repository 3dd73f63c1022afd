import { statSync } from 'node:fs';
import { userInfo } from 'node:os';
import { sql } from 'kysely';
import { sqliteLogin } from '../domain/login.js';
import type { Ctx } from './context.js';

/**
 * Who is acting (SPEC section 15), which the caller cannot choose: `--actor` and ACCESSCTL_ACTOR
 * label audit events and never change it. PostgreSQL: the session's role. SQLite: the effective
 * OS user, or SUDO_USER when the effective user owns the store file.
 */
export async function currentLogin(ctx: Ctx): Promise<string> {
  const store = ctx.store();
  if (store.dialect === 'postgres') {
    const r = await sql<{ login: string }>`select session_user as login`.execute(store.db);
    return r.rows[0]!.login;
  }
  return sqliteLogin({ effectiveUser: effectiveUser(), sudoUser: ctx.env.SUDO_USER, effectiveUidOwnsStore: ownsStore(store.path) });
}

function effectiveUser(): string {
  try {
    return userInfo().username;
  } catch {
    // A uid with no passwd entry (a container's --user 1234): the number is its name.
    return `uid ${process.geteuid?.() ?? 'unknown'}`;
  }
}

function ownsStore(path: string): boolean {
  const euid = process.geteuid?.();
  if (euid === undefined) return false;
  try {
    return statSync(path).uid === euid;
  } catch {
    return false;
  }
}
