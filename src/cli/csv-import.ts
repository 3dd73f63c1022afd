import { createReadStream, statSync } from 'node:fs';
import { UsageError } from '../domain/errors.js';
import { unescapeCsvCell } from '../output/render.js';
import type { Ctx } from './context.js';

export interface RowError {
  line: number;
  message: string;
}

export const MAX_REPORTED_ERRORS = 50;

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
  onRow: (row: Record<string, string>, line: number) => void,
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
  const canonical = new Map(columns.map((c) => [c.toLowerCase(), c]));
  // Where the last whole record ended: a record that grows past the cap is reported at the line
  // it starts on (a stray quote there usually swallowed the rest of the file).
  let lastEnd = { lines: 1, emptyLines: 0, commentLines: 0 };
  const parser = parse({
    bom: true,
    trim: true,
    skip_empty_lines: true,
    info: true,
    max_record_size: MAX_RECORD_CHARS,
    on_record: (rec: { record: Record<string, string>; info: { lines: number; empty_lines: number; comment_lines: number } }) => {
      lastEnd = { lines: rec.info.lines, emptyLines: rec.info.empty_lines, commentLines: rec.info.comment_lines };
      for (const k in rec.record) rec.record[k] = unescapeCsvCell(rec.record[k]!);
      return rec;
    },
    relax_column_count: false,
    columns: (header: string[]) =>
      header.map((h) => {
        const name = canonical.get(h.trim().toLowerCase());
        if (!name) throw new UsageError(`unknown CSV column ${JSON.stringify(h.slice(0, 40))}`, `columns: ${columns.join(', ')}`);
        return name;
      }),
  });
  const progress = ctx.io.stderrIsTTY && (total === 0 || total > 1_000_000) ? progressLine(ctx, total) : null;
  input.on('error', (err) => parser.destroy(err));
  input.pipe(parser);
  let rows = 0;
  let headerChecked = false;
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: Record<string, string>; info: { lines: number; bytes: number } }>) {
      if (!headerChecked) {
        const missing = required.filter((c) => !(c in record));
        if (missing.length > 0) throw new UsageError(`the CSV has no ${missing.join(', ')} column`, `columns: ${columns.join(', ')}`);
        headerChecked = true;
      }
      rows++;
      onRow(record, info.lines);
      if (progress && rows % 5000 === 0) progress(rows, info.bytes);
    }
  } catch (err) {
    if (err instanceof UsageError) throw err;
    const e = err as { code?: string; lines?: number; empty_lines?: number; comment_lines?: number; message: string };
    if (e.code === 'CSV_MAX_RECORD_SIZE') {
      const start = lastEnd.lines + (e.empty_lines ?? lastEnd.emptyLines) - lastEnd.emptyLines + (e.comment_lines ?? lastEnd.commentLines) - lastEnd.commentLines + 1;
      throw new UsageError(`line ${start}: record is longer than ${MAX_RECORD_CHARS / 1024} KiB, nothing imported`, 'no valid row is that long; look for an unclosed quote on that line');
    }
    if (e.code?.startsWith('CSV_')) throw new UsageError(`malformed CSV${e.lines ? ` at line ${e.lines}` : ''}: ${e.message.replace(/^Invalid [A-Za-z ]+: /, '')}`);
    throw err;
  } finally {
    if (progress) ctx.io.stderr.write('\r\u001b[K');
  }
  return rows;
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
  return new UsageError(`${total} invalid row${total === 1 ? '' : 's'}, nothing imported: ${shown.join('; ')}${more}`, 'fix them and run the import again');
}

/**
 * Reads and validates every row, collecting all the invalid ones (with line numbers) and
 * duplicates of the unique key; throws them together, or returns the valid rows.
 */
export async function collectRows<R>(
  ctx: Ctx,
  file: string,
  columns: readonly string[],
  required: readonly string[],
  validate: (row: Record<string, string>) => { key: string; name: string; patch: Partial<R> },
): Promise<Array<{ line: number; key: string; name: string; patch: Partial<R> }>> {
  const rows: Array<{ line: number; key: string; name: string; patch: Partial<R> }> = [];
  const errors: RowError[] = [];
  let errorCount = 0;
  const seen = new Map<string, number>();
  await readCsv(ctx, file, columns, required, (record, line) => {
    try {
      const row = validate(record);
      const first = seen.get(row.key);
      if (first !== undefined) throw new UsageError(`${row.name} already appears on line ${first}`);
      seen.set(row.key, line);
      rows.push({ line, ...row });
    } catch (err) {
      if (!(err instanceof UsageError)) throw err;
      errorCount++;
      if (errors.length < MAX_REPORTED_ERRORS) errors.push({ line, message: err.message });
    }
  });
  if (errorCount > 0) throw importErrors(errors, errorCount);
  if (rows.length === 0) throw new UsageError(`no rows in ${file === '-' ? 'stdin' : file}`, `the first line is the header: ${columns.join(',')}`);
  return rows;
}
