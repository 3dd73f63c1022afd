import { PRIMARY_KEY, type ReplayTable } from './audit-events.js';

/**
 * Replayed rows held as short strings: the state `db check` rebuilds from a whole log (a million
 * memberships) is held once, where it is only compared, never evaluated. A row packs to its
 * shape (its columns, in their order, which is the order differences are named in) and the JSON
 * of its values; a key column holding a string is left out, its key gives it back. Rows whose
 * values JSON would not give back exactly (a number that is not finite, anything but a string,
 * number, boolean or null) stay objects. Many rows pack to the same text (memberships made by
 * one command): a small table of recent texts lets them share one string.
 */
export class RowPacker {
  private readonly shapeIds = new Map<string, number>();
  private readonly shapes: Array<{ columns: string[]; fromKey: Array<number | null> }> = [];
  private readonly recent = new Map<string, string>();

  pack(table: ReplayTable, key: string, row: Record<string, unknown>): string | Record<string, unknown> {
    const keyColumns = PRIMARY_KEY[table];
    const columns = Object.keys(row);
    const fromKey: Array<number | null> = [];
    const values: unknown[] = [];
    for (const col of columns) {
      const v = row[col];
      const part = keyColumns.indexOf(col);
      if (part >= 0 && typeof v === 'string' && v === keyPart(key, part, keyColumns.length)) {
        fromKey.push(part);
        continue;
      }
      if (!(v === null || typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v)))) return row;
      fromKey.push(null);
      values.push(v);
    }
    const shape = `${table}\t${columns.join(',')}\t${fromKey.join(',')}`;
    let id = this.shapeIds.get(shape);
    if (id === undefined) {
      id = this.shapes.length;
      this.shapeIds.set(shape, id);
      this.shapes.push({ columns, fromKey });
    }
    const text = `${id}:${JSON.stringify(values)}`;
    const shared = this.recent.get(text);
    if (shared !== undefined) return shared;
    if (this.recent.size >= 4096) this.recent.clear();
    this.recent.set(text, text);
    return text;
  }

  unpack(table: ReplayTable, key: string, packed: string | Record<string, unknown>): Record<string, unknown> {
    if (typeof packed !== 'string') return packed;
    const colon = packed.indexOf(':');
    const { columns, fromKey } = this.shapes[Number(packed.slice(0, colon))]!;
    const values = JSON.parse(packed.slice(colon + 1)) as unknown[];
    const row: Record<string, unknown> = {};
    let next = 0;
    for (let i = 0; i < columns.length; i++) {
      const part = fromKey[i]!;
      row[columns[i]!] = part === null ? values[next++] : keyPart(key, part, PRIMARY_KEY[table].length);
    }
    return row;
  }
}

/** One column's value out of a row key (domain/replay.ts rowKey: a link's two ids joined by NUL). */
function keyPart(key: string, part: number, parts: number): string {
  if (parts === 1) return key;
  const nul = key.indexOf('\u0000');
  return part === 0 ? key.slice(0, nul) : key.slice(nul + 1);
}
