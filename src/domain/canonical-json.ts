/**
 * JSON with object keys sorted at every depth: the same event always hashes the same. Every
 * audit event passes through here (a million in a large import, a hundred thousand cascaded rows
 * in a sweep), so the usual value is copied with its keys in sorted order and handed to the
 * native JSON.stringify; what that would write differently (integer-like keys, which JavaScript
 * orders numerically; `__proto__`; functions and symbols) takes the plain recursive form, which
 * is the definition.
 */
export function canonicalJson(value: unknown): string {
  const copy = sortedCopy(value);
  if (copy === UNSUPPORTED) return canonicalJsonByHand(value);
  return JSON.stringify(copy) ?? 'null';
}

/** The definition: sorted keys, undefined members left out, undefined items as null. */
export function canonicalJsonByHand(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) out += (i === 0 ? '' : ',') + canonicalJsonByHand(value[i]);
    return `${out}]`;
  }
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj).sort();
  let out = '{';
  for (const k of keys) {
    const v = obj[k];
    if (v === undefined) continue;
    out += (out.length === 1 ? '' : ',') + JSON.stringify(k) + ':' + canonicalJsonByHand(v);
  }
  return `${out}}`;
}

const UNSUPPORTED = Symbol('unsupported');
const INDEX_LIKE = /^(?:0|[1-9][0-9]*)$/;

function sortedCopy(value: unknown): unknown {
  if (value === null) return null;
  const type = typeof value;
  if (type === 'function' || type === 'symbol') return UNSUPPORTED;
  if (type !== 'object') return value;
  if (Array.isArray(value)) {
    const out: unknown[] = new Array(value.length);
    for (let i = 0; i < value.length; i++) {
      const item = sortedCopy(value[i]);
      if (item === UNSUPPORTED) return UNSUPPORTED;
      out[i] = item;
    }
    return out;
  }
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj);
  let sorted = true;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    if (k === '__proto__' || INDEX_LIKE.test(k)) return UNSUPPORTED;
    if (i > 0 && keys[i - 1]! > k) sorted = false;
  }
  if (!sorted) keys.sort();
  const out: Record<string, unknown> = {};
  for (const k of keys) {
    const v = obj[k];
    if (v === undefined) continue;
    const item = sortedCopy(v);
    if (item === UNSUPPORTED) return UNSUPPORTED;
    out[k] = item;
  }
  return out;
}
