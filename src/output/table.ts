import Table from 'cli-table3';
import type { OutputRecord } from './fields.js';
import { tableCell } from './render.js';

/** A people-facing table: ISO times with a relative form beside them, statuses coloured on a terminal. */
export function renderTable(columns: readonly string[], rows: readonly OutputRecord[], opts: { color: boolean; now: number }): string {
  const table = new Table({
    head: [...columns],
    style: { head: opts.color ? ['bold'] : [], border: opts.color ? ['grey'] : [] },
    wordWrap: false,
  });
  for (const r of rows) table.push(columns.map((c) => tableCell(r[c], opts)));
  return `${table.toString()}\n`;
}
