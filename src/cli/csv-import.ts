import { createHash } from 'node:crypto';
import { utf8Check } from './utf8-check.js';
import { copyFileSync, createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { UsageError } from '../domain/errors.js';
import { unknownColumns } from '../domain/sync/providers.js';
import { unescapeCsvCell } from '../output/render.js';
import type { Ctx } from './context.js';
import { KeyLines } from './key-lines.js';

export interface RowError {
  line: number;
  message: string;
}

export const MAX_REPORTED_ERRORS = 50;

/** The field name an ignored column is read under, then dropped: no header can spell it. */
const IGNORED = '\u0000ignored:';

/**
 * Reads a header row into the field each column feeds (null: the column is ignored). Without
 * one, the header must use the import's own column names, matched case-insensitively.
 */
export type HeaderReader = (header: readonly string[]) => Array<string | null>;

/** The import's own layout: every unknown column is refused, all of them named at once. */
export function ownColumns(columns: readonly string[]): HeaderReader {
  const canonical = new Map(columns.map((c) => [c.toLowerCase(), c]));
  return (header) => {
    const names = header.map((h) => canonical.get(h.trim().toLowerCase()) ?? null);
    const unknown = header.filter((_, i) => names[i] === null);
    if (unknown.length > 0) throw unknownColumns(unknown, `columns: ${columns.join(', ')}`);
    return names;
  };
}

/**
 * The longest record an import accepts. A valid user or resource row is a few KiB at most; the
 * cap makes a runaway field (or an unclosed quote) fail at once instead of filling memory.
 */
export const MAX_RECORD_CHARS = 64 * 1024;

/**
 * Streams a CSV file (or stdin for "-") through csv-parse, calling `onRow` with each record and
 * the line it started on. Shows a progress line on stderr for large inputs on a terminal.
 */
export async function readCsv(
  ctx: Ctx,
  file: string,
  columns: readonly string[],
  required: readonly string[],
  onRow: (row: Record<string, string>, line: number) => void | Promise<void>,
  showProgress = true,
  readHeader: HeaderReader = ownColumns(columns),
): Promise<number> {
  const { parse } = await import('csv-parse');
  let input: NodeJS.ReadableStream;
  let total = 0;
  if (file === '-') {
    input = ctx.io.stdin;
  } else {
    try {
      total = statSync(file).size;
    } catch (err) {
      throw new UsageError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code}`, 'check the path');
    }
    input = createReadStream(file);
  }
  // Where the last whole record ended: a record that grows past the cap is reported at the line
  // it starts on (a stray quote there usually swallowed the rest of the file).
  let lastEnd: { lines: number; empty_lines: number; comment_lines: number } = { lines: 1, empty_lines: 0, comment_lines: 0 };
  // CRLFs seen inside quoted fields so far: csv-parse counts each as two lines.
  let doubled = 0;
  const parser = parse({
    bom: true,
    trim: true,
    skip_empty_lines: true,
    max_record_size: MAX_RECORD_CHARS,
    // The hook is handed the record's info (where it ends) and passes on what the reader needs;
    // csv-parse's `info` option would build that object a second time for every record.
    on_record: (record: Record<string, string>, info: { lines: number; bytes: number; empty_lines: number; comment_lines: number }) => {
      // Records are numbered by the physical line they start on. csv-parse counts a CRLF inside
      // a quoted field as two lines, so those are taken off its count, and the line breaks inside
      // the record's fields (ignored columns are kept for this) from where it ends.
      let inner = 0;
      for (const k in record) {
        const v = record[k]!;
        if (v.includes('\n')) {
          inner += v.split('\n').length - 1;
          doubled += v.split('\r\n').length - 1;
        }
        if (k.startsWith(IGNORED)) delete record[k];
        else record[k] = unescapeCsvCell(v);
      }
      lastEnd = info;
      return { record, lines: info.lines - doubled - inner, bytes: info.bytes };
    },
    relax_column_count: false,
    columns: (header: string[]) => readHeader(header).map((name, i) => name ?? `${IGNORED}${i}`),
  });
  const progress = showProgress && ctx.io.stderrIsTTY && !ctx.globals().quiet && ctx.env.TERM !== 'dumb' && (total === 0 || total > 1_000_000) ? progressLine(ctx, total) : null;
  input.on('error', (err) => parser.destroy(err));
  // Not UTF-8 (a CSV saved by Excel as Windows-1252, say) is refused with its line: decoded as
  // UTF-8 anyway, "Zoë" would be stored and audited as "Zo\uFFFD".
  const utf8 = utf8Check();
  utf8.on('error', (err) => parser.destroy(err));
  input.pipe(utf8).pipe(parser);
  let rows = 0;
  let headerChecked = false;
  try {
    for await (const { record, lines, bytes } of parser as AsyncIterable<{ record: Record<string, string>; lines: number; bytes: number }>) {
      if (!headerChecked) {
        const missing = required.filter((c) => !(c in record));
        if (missing.length > 0) throw new UsageError(`the CSV has no ${missing.join(', ')} column`, `columns: ${columns.join(', ')}`);
        headerChecked = true;
      }
      rows++;
      await onRow(record, lines);
      if (progress && rows % 5000 === 0) progress(rows, bytes);
    }
  } catch (err) {
    if (err instanceof UsageError) throw err;
    const e = err as { code?: string; lines?: number; empty_lines?: number; comment_lines?: number; message: string };
    if (e.code === 'CSV_MAX_RECORD_SIZE') {
      const start = lastEnd.lines - doubled + (e.empty_lines ?? lastEnd.empty_lines) - lastEnd.empty_lines + (e.comment_lines ?? lastEnd.comment_lines) - lastEnd.comment_lines + 1;
      throw new UsageError(`line ${start}: record is longer than ${MAX_RECORD_CHARS / 1024} KiB, nothing imported`, 'no valid row is that long; look for an unclosed quote on that line');
    }
    if (e.code?.startsWith('CSV_')) throw new UsageError(`malformed CSV${e.lines ? ` at line ${e.lines}` : ''}: ${e.message.replace(/^Invalid [A-Za-z ]+: /, '')}`);
    throw err;
  } finally {
    if (progress) ctx.io.stderr.write('\r\u001b[K');
  }
  return rows;
}

async function fileSha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function progressLine(ctx: Ctx, total: number) {
  return (rows: number, bytes: number) => {
    const pct = total > 0 ? ` ${Math.min(100, Math.floor((bytes / total) * 100))}%` : '';
    const width = 30;
    const filled = total > 0 ? Math.round((Math.min(bytes, total) / total) * width) : 0;
    const bar = total > 0 ? ` [${'#'.repeat(filled)}${'.'.repeat(width - filled)}]` : '';
    ctx.io.stderr.write(`\rreading${bar}${pct} ${rows.toLocaleString('en-US')} rows`);
  };
}

/** All the invalid rows, in one line: line numbers first, so a person can fix them in one pass. */
export function importErrors(errors: readonly RowError[], total: number): UsageError {
  const shown = errors.slice(0, MAX_REPORTED_ERRORS).map((e) => `line ${e.line}: ${e.message}`);
  const more = total > shown.length ? `; and ${total - shown.length} more` : '';
  return new UsageError(`${total} invalid row${total === 1 ? '' : 's'}, nothing imported: ${shown.join('; ')}${more}`, 'fix them and run it again');
}

/** One valid row: the unique key it upserts by, and the fields it sets. */
export interface ValidRow<R> {
  line: number;
  key: string;
  name: string;
  patch: Partial<R>;
}

/**
 * The rows of an import, validated and read again in chunks: nothing holds a million rows at
 * once. The input is first copied to a private file (stdin cannot be read twice, and a file
 * edited meanwhile must not change what was checked).
 */
export interface ImportRows<R> {
  count: number;
  /** The SHA-256 of the input as read (hex): what the audit events of a sync name. */
  sha256: string;
  /** Reads the rows again, handing them to `work` `size` at a time, in order. */
  eachChunk(size: number, work: (rows: Array<ValidRow<R>>) => Promise<void>): Promise<void>;
  cleanup(): void;
}

/**
 * Reads and validates every row, collecting all the invalid ones (with line numbers) and
 * duplicates of the unique key; throws them together, or returns the rows to read again.
 */
export async function collectRows<R>(
  ctx: Ctx,
  file: string,
  columns: readonly string[],
  required: readonly string[],
  validate: (row: Record<string, string>) => { key: string; name: string; patch: Partial<R> },
  ownHeader?: HeaderReader,
): Promise<ImportRows<R>> {
  // A provider's layout (a reader of its own) has a header the hint below would not describe.
  const readHeader = ownHeader ?? ownColumns(columns);
  const dir = mkdtempSync(join(tmpdir(), 'accessctl-import-'));
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  try {
    const copy = join(dir, 'input.csv');
    if (file === '-') await pipeline(ctx.io.stdin, createWriteStream(copy, { mode: 0o600 }));
    else {
      try {
        copyFileSync(file, copy);
      } catch (err) {
        throw new UsageError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code}`, 'check the path');
      }
    }
    // Enough of the errors to show the first ones by line once duplicates are added in.
    let errors: RowError[] = [];
    let errorCount = 0;
    const note = (e: RowError) => {
      errorCount++;
      if (errors.length < 10_000) errors.push(e);
    };
    let count = 0;
    // Only a hash of each key and the line it was first seen on, for duplicates.
    const seen = new KeyLines();
    const suspects: Array<{ line: number; first: number; name: string }> = [];
    await readCsv(ctx, copy, columns, required, (record, line) => {
      try {
        const row = validate(record);
        const first = seen.firstLine(row.key, line);
        if (first !== undefined) suspects.push({ line, first, name: row.name });
        else count++;
      } catch (err) {
        if (!(err instanceof UsageError)) throw err;
        note({ line, message: err.message });
      }
    }, true, readHeader);
    // A hash match is a duplicate when the two lines' keys really are the same: read them again.
    if (suspects.length > 0) {
      const wanted = new Set(suspects.flatMap((d) => [d.line, d.first]));
      const keyAt = new Map<number, string>();
      await readCsv(ctx, copy, columns, required, (record, line) => void (wanted.has(line) && keyAt.set(line, validate(record).key)), false, readHeader);
      for (const d of suspects) {
        if (keyAt.get(d.line) === keyAt.get(d.first)) note({ line: d.line, message: `${d.name} already appears on line ${d.first}` });
        else count++;
      }
      errors = errors.sort((a, b) => a.line - b.line);
    }
    if (errorCount > 0) throw importErrors(errors.slice(0, MAX_REPORTED_ERRORS), errorCount);
    if (count === 0) throw new UsageError(`no rows in ${file === '-' ? 'stdin' : file}`, ownHeader === undefined ? `the first line is the header: ${columns.join(',')}` : 'the first line is the header; the rows follow it');
    return {
      count,
      sha256: await fileSha256(copy),
      cleanup,
      async eachChunk(size, work) {
        let chunk: Array<ValidRow<R>> = [];
        // The second reading shows no progress line: the first one did.
        await readCsv(ctx, copy, columns, required, async (record, line) => {
          chunk.push({ line, ...validate(record) });
          if (chunk.length === size) {
            const full = chunk;
            chunk = [];
            await work(full);
          }
        }, false, readHeader);
        if (chunk.length > 0) await work(chunk);
      },
    };
  } catch (err) {
    cleanup();
    throw err;
  }
}
