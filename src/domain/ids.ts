import { customAlphabet } from 'nanoid';
import { UsageError } from './errors.js';

export const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
export const ID_PREFIX = {
  user: 'usr_',
  resource: 'res_',
  group: 'grp_',
  service: 'svc_',
  key: 'key_',
  token: 'tok_',
  event: 'evt_',
  request: 'req_',
  review: 'rev_',
} as const;
export type IdKind = keyof typeof ID_PREFIX;

export interface IdGenerator {
  /** A new object id: prefix + 16 base62 characters. */
  id(kind: IdKind): string;
  /** `length` random base62 characters from a cryptographic source. */
  secret(length: number): string;
}

export function randomIds(): IdGenerator {
  const random16 = customAlphabet(BASE62, 16);
  return {
    id: (kind) => ID_PREFIX[kind] + random16(),
    secret: (length) => customAlphabet(BASE62, length)(),
  };
}

/** Predictable ids for tests: usr_0000000000000001, … */
export function sequentialIds(): IdGenerator {
  let n = 0;
  let s = 0;
  return {
    id: (kind) => ID_PREFIX[kind] + String(++n).padStart(16, '0'),
    secret: (length) => {
      s += 1;
      let out = '';
      let x = s * 7919;
      while (out.length < length) {
        out += BASE62[x % 62];
        x = Math.floor(x / 62) + s * 31 + out.length;
      }
      return out;
    },
  };
}

const ID_RE = /^(usr|res|grp|svc|key|tok|evt|req|rev)_[0-9A-Za-z]{16}$/;

export function looksLikeId(kind: IdKind, text: string): boolean {
  return text.startsWith(ID_PREFIX[kind]) && ID_RE.test(text);
}

/** Text that starts like an id of this kind but is not one: a typo worth a usage error. */
export function assertIdShape(kind: IdKind, text: string): void {
  if (text.startsWith(ID_PREFIX[kind]) && !ID_RE.test(text)) {
    throw new UsageError(
      `malformed ${kind} id ${JSON.stringify(text.slice(0, 40))}`,
      `an id is ${ID_PREFIX[kind]} followed by 16 letters or digits`,
    );
  }
}
