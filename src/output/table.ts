import Table from 'cli-table3';
import stringWidth from 'string-width';
import { formatRelative } from '../domain/time.js';
import type { OutputRecord } from './fields.js';

export interface TableOptions {
  color: boolean;
  now: number;
  /** Terminal columns: set only on a terminal, where rows are fitted and cut; piped output is never cut. */
  width?: number | undefined;
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
  const text = cellText(value);
  if (typeof value === 'string' && ISO_RE.test(value)) {
    const relative = formatRelative(Date.parse(value), opts.now);
    return compact ? `${relative} (${value.slice(0, 10)} ${value.slice(11, 16)})` : `${text} (${relative})`;
  }
  // One screen line per cell: a newline or tab in a value must not break the layout.
  return opts.width === undefined ? text : text.replace(/[\r\n\t]+/g, ' ');
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

const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** Cuts text to `max` terminal cells, ending in `…`; wide (CJK, emoji) characters count as two. */
export function cut(text: string, max: number): string {
  if (stringWidth(text) <= max) return text;
  let out = '';
  let used = 0;
  for (const { segment } of segmenter.segment(text)) {
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
  // cli-table3 draws "│ a │ b │": one border per column plus one, and a space either side of each cell.
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

/** A list: one row per record. On a terminal, sized to it with long cells cut; piped, every cell whole. */
export function renderTable(columns: readonly string[], rows: readonly OutputRecord[], opts: TableOptions): string {
  const compact = opts.width !== undefined;
  const cells = rows.map((r) => columns.map((c) => plainCell(r[c], opts, compact)));
  let widths: number[] | undefined;
  if (opts.width !== undefined) {
    const headers = columns.map((c) => stringWidth(c));
    const natural = columns.map((_, i) => Math.max(headers[i]!, ...cells.map((row) => stringWidth(row[i]!))));
    widths = fitWidths(natural, headers, opts.width, columns.map((c) => c === 'id'));
  }
  const table = new Table({
    head: columns.map((c, i) => (widths ? cut(c, widths[i]!) : c)),
    style: { head: opts.color ? ['bold'] : [], border: opts.color ? ['grey'] : [] },
    wordWrap: false,
    // One screen line per row: no rule between rows.
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
    ...(widths ? { colWidths: widths.map((w) => w + 2) } : {}),
  });
  for (const row of cells) table.push(row.map((text, i) => colour(widths ? cut(text, widths[i]!) : text, opts)));
  return `${table.toString()}\n`;
}

/** One object: a `field  value` line per field; several objects are separated by a blank line. */
export function renderVertical(columns: readonly string[], rows: readonly OutputRecord[], opts: TableOptions): string {
  const label = Math.max(0, ...columns.map((c) => stringWidth(c)));
  const room = opts.width === undefined ? undefined : Math.max(MIN_COLUMN, opts.width - label - 2);
  return rows
    .map((r) =>
      columns
        .map((c) => {
          const text = plainCell(r[c], opts, false);
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
