import { UsageError } from './errors.js';

/**
 * The one gate every free-text value passes before it is stored or recorded: names, emails,
 * descriptions, aliases, first and last names, and the audit actor (SPEC section 3).
 *
 * Errors name the field and the rule, never the value: a refused value may be a secret.
 */

// Control characters (Cc: C0, DEL, C1), bidi controls (LRE…RLO, LRI…PDI, LRM, RLM, ALM), every
// Default_Ignorable code point (zero-width space and joiners, soft hyphen, word joiner, variation
// selectors, tags, Hangul fillers, …) and the line/paragraph separators: each one either hides in
// a terminal or makes one name look like another.
const INVISIBLE_RE = /[\p{Cc}\p{Bidi_Control}\p{Default_Ignorable_Code_Point}\p{Zl}\p{Zp}]/u;

const INVISIBLE_ALL_RE = new RegExp(INVISIBLE_RE.source, 'gu');

/**
 * Text from the store made safe to print for people: every character the gate refuses (a row
 * edited by hand may still hold one) shown as its code point, `<U+001B>`, so it can neither drive
 * the terminal nor reorder what is around it. Tabs and newlines are left to the layout.
 */
export function visibleText(text: string): string {
  return text.replace(INVISIBLE_ALL_RE, (ch) => (ch === '\t' || ch === '\n' ? ch : `<${codePoint(ch)}>`));
}

/** The whole value is an object id of any kind: a name like this would shadow that object in lookups. */
const ID_SHAPED_RE = /^(?:usr|res|grp|svc|key|tok|evt|req|rev)_[0-9A-Za-z]{16}$/i;

/**
 * A key token (ack_) or short-lived token (act_), whole or cut: the prefix, not glued to a word
 * before it, then a run of at least 20 base62 characters. Real tokens carry 38; ordinary words
 * such as "act_now" or "feedback_form" are far shorter.
 */
const TOKEN_TEXT_RE = /(?<![0-9A-Za-z])(?:ack|act)_[0-9A-Za-z]{20,}/i;

export type TextProblem = 'token' | 'invisible' | 'dash' | 'id';

/** Why this text may not be stored, or null when it may. Judged on the NFKC form too, so full-width look-alikes do not slip through. */
export function textProblem(text: string): { problem: TextProblem; detail: string } | null {
  const folded = text.normalize('NFKC');
  if (TOKEN_TEXT_RE.test(text) || TOKEN_TEXT_RE.test(folded)) return { problem: 'token', detail: '' };
  const invisible = INVISIBLE_RE.exec(text);
  if (invisible) return { problem: 'invisible', detail: codePoint(invisible[0]) };
  if (folded.startsWith('-')) return { problem: 'dash', detail: '' };
  if (ID_SHAPED_RE.test(folded.trim())) return { problem: 'id', detail: '' };
  return null;
}

/** Throws a usage error naming `what` when the text may not be stored. */
export function assertCleanText(what: string, text: string): void {
  const found = textProblem(text);
  if (found === null) return;
  switch (found.problem) {
    case 'token':
      throw new UsageError(`${what} contains text shaped like a secret token (ack_…/act_…); it is not stored`, 'tokens never belong in names or descriptions; if it was a real token, rotate its key');
    case 'invisible':
      throw new UsageError(`${what} contains an invisible or control character (${found.detail})`, 'retype it: control, bidi and zero-width characters are refused');
    case 'dash':
      throw new UsageError(`${what} must not begin with "-"`, 'it would read as a command-line flag');
    case 'id':
      throw new UsageError(`${what} has the shape of an object id`, 'usr_, res_, grp_, svc_, key_, tok_ and evt_ followed by 16 letters or digits are reserved for ids; choose another');
  }
}

function codePoint(ch: string): string {
  return `U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
}
