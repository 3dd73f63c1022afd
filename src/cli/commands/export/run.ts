import { exportPieces } from '../../../domain/access-code/export.js';
import { jsonText, yamlText } from '../../../domain/access-code/export-text.js';
import { exportSource } from '../../../store/export-source.js';
import { inReadSnapshot } from '../../../store/read-snapshot.js';
import type { Ctx } from '../../context.js';
import { requireExistingStore } from '../plan/store-required.js';

/** Text is handed to stdout in pieces of about this many characters. */
const FLUSH_AT = 256 * 1024;

/**
 * The whole store by name, as YAML (default) or JSON: byte-identical for an unchanged store.
 * Written as it is read, in one read snapshot: the links, most of the rows, a batch of owners at
 * a time, so memory stays near the objects' size whatever the number of memberships.
 */
export async function runExport(ctx: Ctx, format: 'table' | 'json'): Promise<void> {
  requireExistingStore(ctx);
  const store = ctx.store();
  const now = ctx.clock.now();
  const stringify = format === 'json' ? null : (await import('yaml')).stringify;
  await inReadSnapshot(store, async (db) => {
    const pieces = exportPieces(await exportSource(db), now);
    const text = stringify === null ? jsonText(pieces) : yamlText(pieces, (v) => stringify(v, { lineWidth: 0 }));
    let buffered = '';
    for await (const t of text) {
      buffered += t;
      if (buffered.length < FLUSH_AT) continue;
      await ctx.io.stdout.write(buffered);
      buffered = '';
    }
    if (buffered !== '') await ctx.io.stdout.write(buffered);
  });
}
