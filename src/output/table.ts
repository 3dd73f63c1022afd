import { formatRelative } from '../domain/time.js';
import { visibleText } from '../domain/text-hygiene.js';
import type { OutputRecord } from './fields.js';

export interface TableOptions {
  color: boolean;
  now: number;
  /** Terminal columns: set only on a terminal, where rows are fitted and cut; piped output is never cut. */
  width?: number | undefined;
  /** The columns that name each row (email, name …): never cut, never dropped. */
  naming?: readonly string[] | undefined;
  /** Columns that may be cut but never dropped (a check's decision and reason). */
  kept?: readonly string[] | undefined;
  /** `--wide` at a terminal: every cell whole, lines may run past the edge (as `kubectl -o wide`). */
  wide?: boolean | undefined;
  /** ASCII borders: a terminal or locale that cannot show box drawing (TERM=dumb, LC_ALL=C). */
  ascii?: boolean | undefined;
}

/** Several lines in one `field  value` entry: a group's links, one per line. */
export class Lines {
  constructor(readonly lines: readonly string[]) {}
}

const ISO_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

export function cellText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (Array.isArray(value)) return value.map(cellText).join(';');
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/**
 * A cell for people: times carry their relative form. On a terminal a list puts it first and the
 * time to the minute after ("in 2h (2026-11-23 01:00)"), so a narrow column keeps what matters.
 */
function plainCell(value: unknown, opts: TableOptions, compact: boolean): string {
  if (value instanceof Lines) return value.lines.join('; ');
  const text = cellText(value);
  if (typeof value === 'string' && ISO_RE.test(value)) {
    const relative = formatRelative(Date.parse(value), opts.now);
    return compact ? `${relative} (${value.slice(0, 10)} ${value.slice(11, 16)} UTC)` : `${text} (${relative})`;
  }
  if (PRINTABLE_ASCII.test(text)) return text;
  // One screen line per cell: a newline or tab in a value must not break the layout.
  return visibleText(opts.width === undefined ? text : text.replace(/[\r\n\t]+/g, ' '));
}

const STATUS_COLOR: Record<string, string> = {
  ACTIVE: '\u001b[32m',
  REVOKED: '\u001b[31m',
  EXPIRED: '\u001b[33m',
  DISABLED: '\u001b[90m',
};

function colour(text: string, opts: TableOptions): string {
  const code = opts.color ? STATUS_COLOR[text] : undefined;
  return code ? `${code}${text}\u001b[39m` : text;
}

/**
 * string-width, loaded only for a table that holds more than plain text (render.ts asks
 * `needsWidth` of each page first): its module builds ICU's grapheme segmenter and Unicode
 * property regexes as it loads, a cost most tables (ASCII names, ids, times) never need.
 */
let measure: ((text: string) => number) | undefined;
export async function loadWidth(): Promise<void> {
  measure ??= (await import('string-width')).default;
}

/** Whether a value holds text only string-width can measure (anything but printable ASCII and `…`). */
export function needsWidth(value: unknown): boolean {
  if (typeof value === 'string') return !PLAIN.test(value);
  if (value instanceof Lines) return value.lines.some(needsWidth);
  if (Array.isArray(value)) return value.some(needsWidth);
  if (value !== null && typeof value === 'object') return Object.values(value).some(needsWidth);
  return false;
}
const PLAIN = /^[\x20-\x7e\u2026]*$/;

/** Terminal cells; printable ASCII (most cells) and the cutter's `…` are their own length. */
function stringWidth(text: string): number {
  if (PLAIN.test(text)) return text.length;
  // Not loaded only if a caller skipped needsWidth: code points are the closest plain answer.
  return measure === undefined ? [...text].length : measure(text);
}
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

// Built on first use: ICU's grapheme data costs a table call that cuts nothing.
let segmenter: Intl.Segmenter | undefined;

/** Cuts text to `max` terminal cells, ending in `…`; wide (CJK, emoji) characters count as two. */
export function cut(text: string, max: number): string {
  if (stringWidth(text) <= max) return text;
  let out = '';
  let used = 0;
  for (const { segment } of (segmenter ??= new Intl.Segmenter(undefined, { granularity: 'grapheme' })).segment(text)) {
    const w = stringWidth(segment);
    if (used + w > max - 1) break;
    out += segment;
    used += w;
  }
  return `${out}…`;
}

/** The smallest a column is squeezed to before the table gives up fitting. */
const MIN_COLUMN = 3;
const SHORT = 8;

/**
 * Column widths that fit `width` terminal cells: the widest columns give way first, down to the
 * width of their header where possible, then to MIN_COLUMN. Kept columns (ids, which are useless
 * cut) give way only when nothing else can.
 */
export function fitWidths(natural: readonly number[], headers: readonly number[], width: number, keep: readonly boolean[] = []): number[] {
  const widths = [...natural];
  // A table is drawn "│ a │ b │": one border per column plus one, and a space either side of each cell.
  const available = width - (1 + 3 * widths.length);
  const shrink = (floor: (i: number) => number) => {
    while (widths.reduce((a, b) => a + b, 0) > available) {
      let widest = -1;
      for (let i = 0; i < widths.length; i++) if (widths[i]! > floor(i) && (widest < 0 || widths[i]! > widths[widest]!)) widest = i;
      if (widest < 0) return;
      widths[widest]!--;
    }
  };
  // Short values (a status, a name like "deploy") stay whole while a long one can give way.
  shrink((i) => (keep[i] ? natural[i]! : Math.min(natural[i]!, Math.max(headers[i]!, SHORT))));
  shrink((i) => (keep[i] ? natural[i]! : Math.min(natural[i]!, MIN_COLUMN)));
  shrink((i) => Math.min(natural[i]!, MIN_COLUMN));
  return widths;
}

/**
 * Which columns a terminal shows and how wide: long cells give way down to their header's width
 * (or SHORT); a time is never cut, it gives way whole to its relative form ("in 2h", `brief`);
 * when the rest still cannot fit, columns are dropped from the right (a time that cannot fit even
 * so, too), never a naming column, which is never cut either (nor an id: a cut id is no use).
 */
export function planColumns(
  natural: readonly number[],
  headers: readonly number[],
  width: number,
  naming: readonly boolean[],
  kept: readonly boolean[] = [],
  short: readonly (number | undefined)[] = [],
): { widths: number[]; shown: number[]; brief: Set<number> } {
  let shown = natural.map((_, i) => i);
  for (;;) {
    const available = width - (1 + 3 * shown.length);
    const fits = (widths: readonly number[]) => widths.reduce((a, b) => a + b, 0) <= available;
    const attempt = (brief: ReadonlySet<number>) => {
      const full = (i: number) => (brief.has(i) ? short[i]! : natural[i]!);
      const widths = shown.map(full);
      const floor = (k: number) => {
        const i = shown[k]!;
        return naming[i] || short[i] !== undefined ? full(i) : Math.min(full(i), Math.max(headers[i]!, SHORT));
      };
      while (!fits(widths)) {
        let widest = -1;
        for (let k = 0; k < widths.length; k++) if (widths[k]! > floor(k) && (widest < 0 || widths[k]! > widths[widest]!)) widest = k;
        if (widest < 0) break;
        widths[widest]!--;
      }
      return widths;
    };
    const brief = new Set<number>();
    let widths = attempt(brief);
    for (const i of [...shown].reverse()) {
      if (fits(widths)) break;
      if (short[i] !== undefined && short[i]! < natural[i]!) widths = attempt(brief.add(i));
    }
    const droppable = shown.map((i, k) => (naming[i] || kept[i] ? -1 : k)).filter((k) => k >= 0);
    if (fits(widths) || droppable.length === 0) return { widths, shown, brief };
    const drop = droppable.at(-1)!;
    shown = shown.filter((_, k) => k !== drop);
  }
}

/** A column whose every value is a time (or empty), and at least one is. */
function isTimeColumn(rows: readonly OutputRecord[], column: string): boolean {
  let any = false;
  for (const r of rows) {
    const v = r[column];
    if (v === null || v === undefined) continue;
    if (typeof v !== 'string' || !ISO_RE.test(v)) return false;
    any = true;
  }
  return any;
}

/** Box drawing, or ASCII where the terminal or locale cannot show it. */
const BOX = { top: ['┌', '┬', '┐'], bottom: ['└', '┴', '┘'], side: '│', line: '─' };
const ASCII_BOX = { top: ['+', '+', '+'], bottom: ['+', '+', '+'], side: '|', line: '-' };

/**
 * A list: one row per record. On a terminal, sized to it: the naming column whole, long cells
 * cut, columns that cannot fit dropped and named below the table; with --wide every cell whole.
 * Piped, every cell whole.
 */
export function renderTable(columns: readonly string[], rows: readonly OutputRecord[], opts: TableOptions): string {
  const compact = opts.width !== undefined;
  let cells = rows.map((r) => columns.map((c) => plainCell(r[c], opts, compact)));
  let shownColumns = columns;
  let widths: number[] | undefined;
  let dropped: string[] = [];
  if (opts.width !== undefined && !opts.wide) {
    const headers = columns.map((c) => stringWidth(c));
    const natural = columns.map((_, i) => Math.max(headers[i]!, ...cells.map((row) => stringWidth(row[i]!))));
    // A column of times may give way to their relative form, whole; it is never cut mid-value.
    const relative = columns.map((c) => (isTimeColumn(rows, c) ? rows.map((r) => (r[c] == null ? '' : formatRelative(Date.parse(String(r[c])), opts.now))) : undefined));
    const short = relative.map((col, i) => (col === undefined ? undefined : Math.max(headers[i]!, ...col.map((t) => stringWidth(t)))));
    const plan = planColumns(natural, headers, opts.width, columns.map((c) => c === 'id' || (opts.naming?.includes(c) ?? false)),
      columns.map((c) => opts.kept?.includes(c) ?? false), short,
    );
    widths = plan.widths;
    shownColumns = plan.shown.map((i) => columns[i]!);
    dropped = columns.filter((_, i) => !plan.shown.includes(i));
    cells = cells.map((row, r) => plan.shown.map((i) => (plan.brief.has(i) ? relative[i]![r]! : row[i]!)));
  }
  // Drawn here rather than by a table library: loading one cost a table more than a CSV per call.
  const texts = cells.map((row) => row.map((text, i) => (widths ? cut(text, widths[i]!) : text)));
  const head = shownColumns.map((c, i) => (widths ? cut(c, widths[i]!) : c));
  const sizes = widths ?? head.map((h, i) => Math.max(stringWidth(h), ...texts.map((row) => stringWidth(row[i]!))));
  const box = opts.ascii ? ASCII_BOX : BOX;
  const grey = (t: string) => (opts.color ? `\u001b[90m${t}\u001b[39m` : t);
  const rule = ([left, mid, right]: string[]) => grey(`${left}${sizes.map((w) => box.line.repeat(w + 2)).join(mid)}${right}`);
  const line = (row: readonly string[], style: (t: string) => string) =>
    `${grey(box.side)}${row.map((t, i) => `${style(` ${t}${' '.repeat(Math.max(0, sizes[i]! - stringWidth(t)))} `)}${grey(box.side)}`).join('')}`;
  const bold = (t: string) => (opts.color ? `\u001b[1m${t}\u001b[22m` : t);
  const table = {
    toString: () =>
      [rule(box.top), line(head, bold), ...texts.map((row) => line(row.map((t) => colour(t, opts)), (t) => t)), rule(box.bottom)].join('\n'),
  };
  const footer = dropped.length > 0 ? `(not shown: ${dropped.join(', ')}; --wide shows every column)\n` : '';
  return `${table.toString()}\n${footer}`;
}

/** One object: a `field  value` line per field; several objects are separated by a blank line. */
export function renderVertical(columns: readonly string[], rows: readonly OutputRecord[], opts: TableOptions): string {
  const label = Math.max(0, ...columns.map((c) => stringWidth(c)));
  const room = opts.width === undefined ? undefined : Math.max(MIN_COLUMN, opts.width - label - 2);
  return rows
    .map((r) =>
      columns
        .map((c) => {
          const value = r[c];
          if (value instanceof Lines) {
            // One line per entry, under the first: a group's members, each with its own times.
            const pad = ' '.repeat(label + 2);
            const lines = value.lines.map((l) => (room === undefined ? l : cut(l, room)));
            return `${c.padEnd(label)}  ${lines.join(`\n${pad}`)}`.trimEnd();
          }
          const text = plainCell(value, opts, false);
          return `${c.padEnd(label)}  ${colour(room === undefined ? text : cut(text, room), opts)}`.trimEnd();
        })
        .join('\n'),
    )
    .map((block) => `${block}\n`)
    .join('\n');
}

/**
 * A new secret stands alone: the object's fields, a blank line, then the token whole on a line of
 * its own (never cut, never inside a table cell), so it can be selected and copied in one go.
 */
export function renderSecret(columns: readonly string[], rows: readonly OutputRecord[], opts: TableOptions): string {
  const fields = columns.filter((c) => c !== 'token');
  return rows.map((r) => `${renderVertical(fields, [r], opts)}\n${cellText(r.token)}\n`).join('\n');
}
