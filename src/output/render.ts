import { UsageError } from '../domain/errors.js';
import { DEFAULT_COLUMNS, FIELDS, QUIET_FIELD, QUIET_UNIQUE, type OutputRecord, type RecordKind } from './fields.js';
import type { Format } from './format.js';

export interface OutputSink {
  write(chunk: string): void | Promise<void>;
  /** Writes all of `chunk` before returning, or throws (a secret's delivery); absent in tests. */
  writeNow?(chunk: string): void;
}

export interface RenderOptions {
  format: Format;
  quiet: boolean;
  columns?: readonly string[] | undefined;
  header: boolean;
  color: boolean;
  /** For relative times in tables. */
  now: number;
  /** Terminal columns when stdout is a terminal; undefined when piped (tables print whole). */
  width?: number | undefined;
  /** Tables: every column, not the short default set. */
  wide?: boolean | undefined;
  /** Tables: `list` prints rows; `object` prints `field  value` lines (show, and single-object results). */
  layout?: 'list' | 'object' | undefined;
  /** At most this many records. */
  limit?: number | undefined;
  /** Columns the short set leaves out because they only repeat the filter (`access list -r R`). */
  omit?: readonly string[] | undefined;
  /** ASCII table borders (TERM=dumb, or a locale that is not UTF-8). */
  ascii?: boolean | undefined;
}

/**
 * Checks `--columns` against the object's fields before anything runs. Without it, a list in a
 * table on a terminal shows the object's short default set (unless --wide); everything else
 * carries every field.
 */
export function selectColumns(
  kind: RecordKind,
  columns: readonly string[] | undefined,
  table?: { format: Format; width?: number | undefined; wide?: boolean | undefined; layout?: 'list' | 'object' | undefined; omit?: readonly string[] | undefined },
): readonly string[] {
  const fields: readonly string[] = FIELDS[kind];
  if (columns !== undefined && columns.length === 0) {
    // `--columns ''` is a mistake (an unset shell variable, say), not a request for every column.
    throw new UsageError('--columns names no column', `valid columns: ${fields.join(',')}`);
  }
  if (!columns) {
    const short = DEFAULT_COLUMNS[kind];
    if (short && table && table.format === 'table' && table.width !== undefined && !table.wide && table.layout !== 'object') {
      return table.omit ? short.filter((c) => !table.omit!.includes(c)) : short;
    }
    return fields;
  }
  const unknown = columns.filter((c) => !fields.includes(c));
  if (unknown.length > 0) {
    throw new UsageError(`unknown column ${unknown.map((c) => JSON.stringify(c)).join(', ')}`, `valid columns: ${fields.join(',')}`);
  }
  return columns;
}

/** Buffers small writes into larger chunks; a bounded buffer, flushed as it fills. */
class Chunker {
  #parts: string[] = [];
  #size = 0;
  constructor(private readonly sink: OutputSink) {}
  async push(text: string): Promise<void> {
    this.#parts.push(text);
    this.#size += text.length;
    if (this.#size >= 64 * 1024) await this.flush();
  }
  async flush(): Promise<void> {
    if (this.#parts.length === 0) return;
    const text = this.#parts.join('');
    this.#parts = [];
    this.#size = 0;
    await this.sink.write(text);
  }
}

function cellText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (Array.isArray(value)) return value.map(cellText).join(';');
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

// A spreadsheet runs a cell that begins with one of these as a formula (OWASP "CSV injection").
const FORMULA_START_RE = /^'*[=+\-@\t\r]/;
const PLAIN_NUMBER_RE = /^-?\d+(?:\.\d+)?$/;

/**
 * A CSV cell, escaped against formula injection: a leading `'` makes a spreadsheet show the text
 * as typed. Cells already starting with quotes before such a character get one more, so the
 * escape is reversible (`unescapeCsvCell`) and an export imports back unchanged. A plain
 * number such as -3 is a value, not a formula, and stays as it is.
 */
export function csvCell(value: unknown): string {
  const text = cellText(value);
  if (typeof value === 'number' || PLAIN_NUMBER_RE.test(text) || !FORMULA_START_RE.test(text)) return text;
  return `'${text}`;
}

/** The inverse of `csvCell`'s escape, for CSV read back in. */
export function unescapeCsvCell(text: string): string {
  return text.startsWith("'") && FORMULA_START_RE.test(text) && !PLAIN_NUMBER_RE.test(text.slice(1)) ? text.slice(1) : text;
}

/** Stops an iteration after `limit` records (`--limit N`); the source is closed, not drained. */
async function* limited<T>(records: Iterable<T> | AsyncIterable<T>, limit: number | undefined): AsyncIterable<T> {
  if (limit === undefined) {
    yield* records;
    return;
  }
  let n = 0;
  for await (const r of records) {
    yield r;
    if (++n >= limit) return;
  }
}

/** What -q prints for a record: its id, or for a removed link (which has none) owner:member. */
function quietValue(kind: RecordKind, r: OutputRecord): string {
  const value = cellText(r[QUIET_FIELD[kind]]);
  if (value === '' && kind === 'sweep' && r.memberId) return `${cellText(r.groupId ?? r.serviceId)}:${cellText(r.memberId)}`;
  return value;
}

/**
 * Prints records in the chosen format and returns how many there were. CSV, JSON and NDJSON
 * stream: memory stays bounded whatever the number of records. A table needs every row to size
 * its columns, so it is printed in pages of 1,000 rows.
 */
export async function render(
  sink: OutputSink,
  kind: RecordKind,
  source: Iterable<OutputRecord> | AsyncIterable<OutputRecord>,
  opts: RenderOptions,
): Promise<number> {
  const columns = selectColumns(kind, opts.columns, opts)
    .filter((c) => !(opts.format === 'table' && kind === 'groupShow' && c === 'links' && !opts.columns))
    // A table reads a group's request policy as one `request` line (output/table-views.ts).
    .map((c) => (opts.format === 'table' && (kind === 'group' || kind === 'groupShow') && c === 'requestPolicy' && !opts.columns ? 'request' : c));
  const records = limited(source, opts.limit);
  const out = new Chunker(sink);
  let count = 0;
  if (opts.quiet) {
    const seen = QUIET_UNIQUE.has(kind) ? new Set<string>() : undefined;
    for await (const r of records) {
      count++;
      const value = quietValue(kind, r);
      // Nothing to name (audit verify finds no broken seq): no blank line for a script to read.
      if (value === '') continue;
      if (seen) {
        if (seen.has(value)) continue;
        seen.add(value);
      }
      await out.push(`${value}\n`);
    }
    await out.flush();
    return count;
  }
  switch (opts.format) {
    case 'json': {
      await out.push('[');
      for await (const r of records) {
        await out.push(`${count === 0 ? '\n' : ',\n'}  ${JSON.stringify(pick(r, columns))}`);
        count++;
      }
      await out.push(count === 0 ? ']\n' : '\n]\n');
      break;
    }
    case 'ndjson': {
      for await (const r of records) {
        count++;
        await out.push(`${JSON.stringify(pick(r, columns))}\n`);
      }
      break;
    }
    case 'csv': {
      const { stringify } = await import('csv-stringify/sync');
      const line = (cells: string[]) => stringify([cells], { eof: true, record_delimiter: '\n' });
      if (opts.header) await out.push(line([...columns]));
      for await (const r of records) {
        count++;
        await out.push(line(columns.map((c) => csvCell(r[c]))));
      }
      break;
    }
    case 'table': {
      const { loadWidth, needsWidth, renderSecret, renderTable, renderVertical } = await import('./table.js');
      const { KEPT_COLUMNS, NAMING_COLUMNS, tableView } = await import('./table-views.js');
      const table = { color: opts.color, now: opts.now, width: opts.width, wide: opts.wide, ascii: opts.ascii, naming: NAMING_COLUMNS[kind], kept: KEPT_COLUMNS[kind] };
      const secret = kind === 'newKey' || kind === 'exchangedToken';
      const print = secret ? renderSecret : opts.layout === 'object' ? renderVertical : renderTable;
      const shortList = print === renderTable && opts.width !== undefined && !opts.wide && !opts.columns;
      let page: OutputRecord[] = [];
      for await (const r of records) {
        count++;
        page.push(tableView(kind, r, shortList, opts.now));
        if (page.length === 1000) {
          if (page.some(needsWidth)) await loadWidth();
          await out.push(print(columns, page, table));
          page = [];
        }
      }
      if (page.some(needsWidth)) await loadWidth();
      if (page.length > 0 || (count === 0 && print === renderTable)) await out.push(print(columns, page, table));
      break;
    }
  }
  await out.flush();
  return count;
}

function pick(r: OutputRecord, columns: readonly string[]): OutputRecord {
  const o: OutputRecord = {};
  for (const c of columns) o[c] = r[c] === undefined ? null : r[c];
  return o;
}
