import { isIP } from 'node:net';
import { UsageError } from './errors.js';
import { clip } from './time.js';

// Control characters (C0, DEL, C1) and the bidi/zero-width format characters that let a name
// look like another one in a terminal.
const CONTROL_RE = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/u;

/** The key a name is unique under: Unicode-normalised and case-folded. */
export function nameKey(name: string): string {
  return name.normalize('NFKC').toLowerCase();
}

export function validateName(kind: string, raw: string): string {
  const name = raw.normalize('NFC');
  if (name.trim() === '') throw new UsageError(`${kind} name must not be empty`);
  if (name !== name.trim()) throw new UsageError(`${kind} name must not start or end with spaces`);
  if ([...name].length > 255) throw new UsageError(`${kind} name is longer than 255 characters`);
  if (CONTROL_RE.test(name)) throw new UsageError(`${kind} name contains a control character`);
  return name;
}

export function validateServiceName(raw: string): string {
  if (!/^[A-Za-z0-9-]{1,64}$/.test(raw)) {
    throw new UsageError(
      `invalid service name ${JSON.stringify(clip(raw))}`,
      'use 1-64 letters, digits and hyphens',
    );
  }
  return raw;
}

export function validateOptionalText(what: string, raw: string | undefined, max = 1024): string | undefined {
  if (raw === undefined) return undefined;
  if ([...raw].length > max) throw new UsageError(`${what} is longer than ${max} characters`);
  if (CONTROL_RE.test(raw)) throw new UsageError(`${what} contains a control character`);
  return raw.normalize('NFC');
}

const EMAIL_RE = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;

export function validateEmail(raw: string): string {
  const email = raw.trim();
  if (email.length > 254 || !EMAIL_RE.test(email) || email.split('@')[0]!.length > 64) {
    throw new UsageError(`invalid email ${JSON.stringify(clip(raw))}`, 'for example ada@example.com');
  }
  return email;
}

export const ROLES = ['ADMIN', 'DEVOPS', 'SUPPORT', 'MEMBER'] as const;
export type Role = (typeof ROLES)[number];

export function parseEnum<T extends string>(what: string, allowed: readonly T[], raw: string): T {
  const up = raw.trim().toUpperCase();
  const hit = allowed.find((a) => a === up);
  if (!hit) throw new UsageError(`invalid ${what} ${JSON.stringify(clip(raw))}`, `use one of ${allowed.join(', ')}`);
  return hit;
}

const LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
const FQDN_RE = new RegExp(`^(?:\\*\\.)?(?:${LABEL}\\.)*${LABEL}\\.?$`);

/** FQDN, `*.wildcard`, IPv4/IPv6, or CIDR. Returned in a canonical form (lower-case host). */
export function validateAddress(raw: string): string {
  const text = raw.trim();
  const bad = (why: string) =>
    new UsageError(
      `invalid address ${JSON.stringify(clip(raw))}: ${why}`,
      'use a host name, *.wildcard, an IPv4/IPv6 address or a CIDR range',
    );
  if (text === '') throw bad('empty');
  if (text.length > 253) throw bad('longer than 253 characters');
  const slash = text.indexOf('/');
  if (slash >= 0) {
    const ip = text.slice(0, slash);
    const bits = text.slice(slash + 1);
    const family = isIP(ip);
    if (!family) throw bad('the network part is not an IP address');
    const max = family === 4 ? 32 : 128;
    if (!/^[0-9]{1,3}$/.test(bits) || Number(bits) > max) throw bad(`prefix length must be 0-${max}`);
    return `${ip.toLowerCase()}/${Number(bits)}`;
  }
  if (isIP(text)) return text.toLowerCase();
  if (/^[0-9.]+$/.test(text)) throw bad('not a valid IPv4 address');
  if (!FQDN_RE.test(text)) throw bad('not a valid host name');
  return text.toLowerCase();
}
