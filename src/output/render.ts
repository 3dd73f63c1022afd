import { UsageError } from '../domain/errors.js';
import { formatRelative } from '../domain/time.js';
import { FIELDS, QUIET_FIELD, type OutputRecord, type RecordKind } from './fields.js';
import type { Format } from './format.js';

export interface OutputSink {
  write(chunk: string): void | Promise<void>;
}

export interface RenderOptions {
  format: Format;
  quiet: boolean;
  columns?: readonly string[] | undefined;
  header: boolean;
  color: boolean;
  /** For relative times in tables. */
  now: number;
}

/** Checks `--columns` against the object's fields before anything runs. */
export function selectColumns(kind: RecordKind, columns: readonly string[] | undefined): readonly string[] {
  const fields: readonly string[] = FIELDS[kind];
  if (!columns) return fields;
  // `--columns ''` is a mistake (an unset shell variable, say), not a request for every column.
  if (columns.length === 0) throw new UsageError('--columns names no column', `valid columns: ${fields.join(',')}`);
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

const ISO_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

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

/**
 * Prints records in the chosen format and returns how many there were. CSV, JSON and NDJSON
 * stream: memory stays bounded whatever the number of records. A table needs every row to size
 * its columns, so it is printed in pages of 1,000 rows.
 */
export async function render(
  sink: OutputSink,
  kind: RecordKind,
  records: Iterable<OutputRecord> | AsyncIterable<OutputRecord>,
  opts: RenderOptions,
): Promise<number> {
  const columns = selectColumns(kind, opts.columns);
  const out = new Chunker(sink);
  let count = 0;
  if (opts.quiet) {
    const field = QUIET_FIELD[kind];
    for await (const r of records) {
      count++;
      await out.push(`${cellText(r[field])}\n`);
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
      const { renderTable } = await import('./table.js');
      let page: OutputRecord[] = [];
      for await (const r of records) {
        count++;
        page.push(r);
        if (page.length === 1000) {
          await out.push(renderTable(columns, page, opts));
          page = [];
        }
      }
      if (page.length > 0 || count === 0) await out.push(renderTable(columns, page, opts));
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

export function tableCell(value: unknown, opts: { color: boolean; now: number }): string {
  const text = cellText(value);
  if (typeof value === 'string' && ISO_RE.test(value)) {
    return `${text} (${formatRelative(Date.parse(value), opts.now)})`;
  }
  if (opts.color && typeof value === 'string') return colorStatus(text);
  return text;
}

const STATUS_COLOR: Record<string, string> = {
  ACTIVE: '\u001b[32m',
  REVOKED: '\u001b[31m',
  EXPIRED: '\u001b[33m',
  DISABLED: '\u001b[90m',
};

function colorStatus(text: string): string {
  const code = STATUS_COLOR[text];
  return code ? `${code}${text}\u001b[39m` : text;
}
