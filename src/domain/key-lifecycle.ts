import { ConflictError } from './errors.js';

/**
 * The service-key lifecycle (SPEC section 5). EXPIRED is not stored: a key is EXPIRED from the
 * millisecond its expiresAt passes, whether or not anything ran then.
 */
export type KeyStatus = 'ACTIVE' | 'REVOKED' | 'EXPIRED';
export const KEY_STATUSES: readonly KeyStatus[] = ['ACTIVE', 'REVOKED', 'EXPIRED'];
export type KeyAction = 'revoke' | 'rename' | 'delete' | 'rotate';

export interface KeyState {
  revokedAt: number | null;
  expiresAt: number | null;
}

export function keyStatus(key: KeyState, now: number): KeyStatus {
  if (key.revokedAt !== null) return 'REVOKED';
  // An expiry that is no time (text in the column, written behind accessctl's back: `'x' <= now`
  // is false) is past, not never: the key fails closed.
  if (key.expiresAt !== null && (!Number.isSafeInteger(key.expiresAt) || key.expiresAt <= now)) return 'EXPIRED';
  return 'ACTIVE';
}

export const ALLOWED_ACTIONS: Record<KeyStatus, readonly KeyAction[]> = {
  ACTIVE: ['revoke', 'rename', 'rotate'],
  REVOKED: ['delete'],
  EXPIRED: ['delete'],
};

/** Refuses a transition the table does not allow, naming the state and what is allowed. */
export function assertKeyAction(keyId: string, status: KeyStatus, action: KeyAction): void {
  if (ALLOWED_ACTIONS[status].includes(action)) return;
  const allowed = ALLOWED_ACTIONS[status].join(', ');
  const why = status === 'ACTIVE' ? 'revoke it first' : 'it can never be made active again';
  throw new ConflictError(
    `cannot ${action} key ${keyId}: it is ${status}`,
    `${status} keys allow only: ${allowed}; ${why}`,
  );
}
