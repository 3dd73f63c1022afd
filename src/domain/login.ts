import { UsageError } from './errors.js';
import { assertCleanText } from './text-hygiene.js';
import { clip } from './time.js';

/**
 * A login (SPEC section 15): the OS account or PostgreSQL role a person acts as. Kept as given
 * (case included) and compared exactly, as the operating system and the server compare them.
 */
export function validateLogin(raw: string, what = '--login'): string {
  if (raw === '') throw new UsageError(`${what} must not be empty`, 'use --no-login to unlink a user');
  assertCleanText(what, raw);
  if (raw !== raw.trim()) throw new UsageError(`${what} must not start or end with spaces`);
  if ([...raw].length > 255) throw new UsageError(`${what} is longer than 255 characters`);
  if (raw !== raw.normalize('NFC')) throw new UsageError(`invalid ${what} ${JSON.stringify(clip(raw))}`, 'type it in its composed form (NFC)');
  return raw;
}

/** Whether a value could be a login at all: the check on SUDO_USER before it is trusted. */
export function isValidLogin(raw: string): boolean {
  try {
    validateLogin(raw);
    return true;
  } catch {
    return false;
  }
}

/**
 * The login of a SQLite store's caller: the effective user, or the user who ran sudo when the
 * effective user owns the store (a bastion where operators `sudo -u accessctl accessctl …`).
 * SUDO_USER is set by sudo, not by the person: trusted only when the account it ran as owns the
 * store, so a user running accessctl as themselves cannot name someone else.
 */
export function sqliteLogin(facts: { effectiveUser: string; sudoUser: string | undefined; effectiveUidOwnsStore: boolean }): string {
  const sudo = facts.sudoUser;
  if (sudo !== undefined && sudo !== '' && facts.effectiveUidOwnsStore && isValidLogin(sudo)) return sudo;
  return facts.effectiveUser;
}
