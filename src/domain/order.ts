/**
 * Code-point order, the same on every machine and under every locale (SQLite's BINARY on UTF-8,
 * PostgreSQL's "C"): an auditor's CSV comes out in one order under sv_SE, cs_CZ and C.UTF-8.
 * JavaScript's `<` compares UTF-16 units, which differs from code points above U+FFFF; and
 * localeCompare follows the locale.
 */
export function compareCodePoints(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // A surrogate (an astral character) sorts after every BMP character, as its code point does.
    const xs = x >= 0xd800 && x <= 0xdfff;
    const ys = y >= 0xd800 && y <= 0xdfff;
    if (xs !== ys) return xs ? 1 : -1;
    return x < y ? -1 : 1;
  }
  return a.length - b.length;
}
