import { UsageError } from './errors.js';
import { assertCleanText } from './text-hygiene.js';

/**
 * People's names (firstName, lastName) may hold ZERO WIDTH NON-JOINER and ZERO WIDTH JOINER where
 * their script needs them (SPEC section 3): Persian "می‌خواهم", Indic conjuncts. The rule is RFC
 * 5892's CONTEXTJ (Appendix A.1 and A.2); every other invisible character is refused as for any
 * text, and a joiner the rule does not allow gets the same one-line refusal.
 *
 * JavaScript regular expressions know neither the combining class nor the joining type, so both
 * are tables here:
 * - Virama: every code point whose Canonical_Combining_Class is 9 (Unicode 14).
 * - Joining type: the letters of the scripts that join (Arabic, Syriac, N'Ko, Mongolian, Adlam)
 *   count as dual-joining, except the Arabic letters listed below as right-joining (alef, dal, reh,
 *   waw and their kin) or non-joining (hamza); combining marks (Mn, Me) are transparent. That is
 *   exact for the Arabic letters Persian, Arabic and Urdu names use, and an approximation for
 *   the rarer letters of the other joining scripts, which are all treated as dual-joining.
 */

const ZWNJ = 0x200c;
const ZWJ = 0x200d;

const VIRAMA = new Set([
  0x094d, 0x09cd, 0x0a4d, 0x0acd, 0x0b4d, 0x0bcd, 0x0c4d, 0x0ccd, 0x0d3b, 0x0d3c, 0x0d4d, 0x0dca, 0x0e3a, 0x0eba, 0x0f84, 0x1039, 0x103a, 0x1714,
  0x1715, 0x1734, 0x17d2, 0x1a60, 0x1b44, 0x1baa, 0x1bab, 0x1bf2, 0x1bf3, 0x2d7f, 0xa806, 0xa82c, 0xa8c4, 0xa953, 0xa9c0, 0xaaf6, 0xabed, 0x10a3f,
  0x11046, 0x11070, 0x1107f, 0x110b9, 0x11133, 0x11134, 0x111c0, 0x11235, 0x112ea, 0x1134d, 0x11442, 0x114c2, 0x115bf, 0x1163f, 0x116b6, 0x1172b,
  0x11839, 0x1193d, 0x1193e, 0x119e0, 0x11a34, 0x11a47, 0x11a99, 0x11c3f, 0x11d44, 0x11d45, 0x11d97,
]);

const JOINING_LETTER = /^[\p{Script=Arabic}\p{Script=Syriac}\p{Script=Nko}\p{Script=Mongolian}\p{Script=Adlam}]$/u;
const LETTER = /^\p{L}$/u;
const TRANSPARENT = /^[\p{Mn}\p{Me}]$/u;

/** Arabic letters that join only to the letter before them (Joining_Type R). */
const RIGHT_JOINING: ReadonlyArray<readonly [number, number]> = [
  [0x0622, 0x0625], [0x0627, 0x0627], [0x0629, 0x0629], [0x062f, 0x0632], [0x0648, 0x0648], [0x0671, 0x0673], [0x0675, 0x0677],
  [0x0688, 0x0699], [0x06c0, 0x06c0], [0x06c3, 0x06cb], [0x06cd, 0x06cd], [0x06cf, 0x06cf], [0x06d2, 0x06d3], [0x06d5, 0x06d5],
  [0x06ee, 0x06ef], [0x0759, 0x075b], [0x076b, 0x076c], [0x0771, 0x0771], [0x0773, 0x0774], [0x0778, 0x0779],
];
/** Arabic letters that join to neither side (Joining_Type U): hamza, high hamza. */
const NON_JOINING = new Set([0x0621, 0x0674]);

type JoiningType = 'D' | 'R' | 'T' | 'U';

function joiningType(cp: number): JoiningType {
  const ch = String.fromCodePoint(cp);
  if (TRANSPARENT.test(ch)) return 'T';
  if (!LETTER.test(ch) || !JOINING_LETTER.test(ch) || NON_JOINING.has(cp)) return 'U';
  return RIGHT_JOINING.some(([lo, hi]) => cp >= lo && cp <= hi) ? 'R' : 'D';
}

/** RFC 5892 A.1 (ZWNJ) and A.2 (ZWJ) for the joiner at `i`. */
function joinerAllowed(cps: readonly number[], i: number): boolean {
  const before = cps[i - 1];
  if (before === undefined || i === cps.length - 1) return false;
  if (VIRAMA.has(before)) return true;
  if (cps[i] === ZWJ) return false;
  let b = i - 1;
  while (b >= 0 && joiningType(cps[b]!) === 'T') b--;
  let a = i + 1;
  while (a < cps.length && joiningType(cps[a]!) === 'T') a++;
  if (b < 0 || a >= cps.length) return false;
  const left = joiningType(cps[b]!);
  const right = joiningType(cps[a]!);
  // Before it a letter that joins to the next (L or D), after it one that joins to the previous (R or D).
  return left === 'D' && (right === 'D' || right === 'R');
}

/** A person's name without the joiners its script allows: what the invisible-character rule judges. */
export function withoutAllowedJoiners(name: string): string {
  if (!name.includes('\u200c') && !name.includes('\u200d')) return name;
  const cps = [...name].map((c) => c.codePointAt(0)!);
  return String.fromCodePoint(...cps.filter((cp, i) => !((cp === ZWNJ || cp === ZWJ) && joinerAllowed(cps, i))));
}

/** A first or last name, NFC, or a usage error naming `what`; undefined stays undefined. */
export function validatePersonName(what: string, raw: string | undefined, max = 255): string | undefined {
  if (raw === undefined) return undefined;
  if ([...raw].length > max) throw new UsageError(`${what} is longer than ${max} characters`);
  const name = raw.normalize('NFC');
  assertCleanText(what, withoutAllowedJoiners(name));
  return name;
}
