import { isIP } from 'node:net';
import { UsageError } from './errors.js';
import { assertCleanText } from './text-hygiene.js';
import { clip } from './time.js';

/**
 * The key a name is unique under: NFKC, then case-folded. `toLowerCase` alone is not folding
 * ('STRASSE' and 'straße' would stay apart), so the text goes through upper case first, which
 * folds ß to ss and final sigma to sigma; it also merges dotless ı with i, stricter than Unicode
 * folding and harmless for names that must not look alike. NFKC again after folding recomposes.
 */
export function nameKey(name: string): string {
  // ASCII is its own NFKC form and folds by lower-casing alone: most names and every email
  // address in a large import take this path.
  if (ASCII.test(name)) return name.toLowerCase();
  return name.normalize('NFKC').toUpperCase().toLowerCase().normalize('NFKC');
}

const ASCII = /^[\x00-\x7f]*$/;

export function validateName(kind: string, raw: string): string {
  const name = raw.normalize('NFC');
  if (name.trim() === '') throw new UsageError(`${kind} name must not be empty`, `give the ${kind} a name of 1-255 characters`);
  assertCleanText(`${kind} name`, name);
  if (name !== name.trim()) throw new UsageError(`${kind} name must not start or end with spaces`);
  if ([...name].length > 255) throw new UsageError(`${kind} name is longer than 255 characters`);
  return name;
}

const SERVICE_NAME_RE = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?$/;

export function validateServiceName(raw: string): string {
  assertCleanText('service name', raw);
  if (!SERVICE_NAME_RE.test(raw)) {
    throw new UsageError(
      `invalid service name ${JSON.stringify(clip(raw))}`,
      'use 1-64 letters, digits and hyphens, not starting or ending with a hyphen',
    );
  }
  return raw;
}

export function validateOptionalText(what: string, raw: string | undefined, max = 1024): string | undefined {
  if (raw === undefined) return undefined;
  if ([...raw].length > max) throw new UsageError(`${what} is longer than ${max} characters`);
  assertCleanText(what, raw);
  return raw.normalize('NFC');
}

const EMAIL_RE = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;

export function validateEmail(raw: string): string {
  const email = raw.trim();
  assertCleanText('email', email);
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
