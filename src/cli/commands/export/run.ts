import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { StoreError } from '../../../domain/errors.js';
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
 * Read in one read snapshot and spooled as it is read: the links, most of the rows, a batch of owners at
 * a time, so memory stays near the objects' size whatever the number of memberships.
 */
export async function runExport(ctx: Ctx, format: 'table' | 'json'): Promise<void> {
  requireExistingStore(ctx);
  const store = ctx.store();
  const now = ctx.clock.now();
  const stringify = format === 'json' ? null : (await import('yaml')).stringify;
  // Spooled to a private file and printed only once the whole document is read: a failure part
  // way (a lost connection, a row the store refuses) prints nothing, never a shorter file that
  // is still valid YAML and that apply --prune would take for the whole store.
  const dir = mkdtempSync(join(tmpdir(), 'accessctl-export-'));
  const spool = join(dir, 'export');
  try {
    const fd = openSync(spool, 'wx', 0o600);
    try {
      await inReadSnapshot(store, async (db) => {
        const pieces = exportPieces(await exportSource(db), now);
        const text = stringify === null ? jsonText(pieces) : yamlText(pieces, (v) => stringify(v, { lineWidth: 0 }));
        let buffered = '';
        for await (const t of text) {
          buffered += t;
          if (buffered.length < FLUSH_AT) continue;
          spoolWrite(fd, buffered);
          buffered = '';
        }
        if (buffered !== '') spoolWrite(fd, buffered);
      });
    } finally {
      closeSync(fd);
    }
    const input = openSync(spool, 'r');
    try {
      const chunk = Buffer.alloc(FLUSH_AT);
      // A chunk may end inside a character: the decoder keeps its first bytes for the next one.
      const utf8 = new StringDecoder('utf8');
      for (let n = readSync(input, chunk); n > 0; n = readSync(input, chunk)) await ctx.io.stdout.write(utf8.write(chunk.subarray(0, n)));
      const tail = utf8.end();
      if (tail !== '') await ctx.io.stdout.write(tail);
    } finally {
      closeSync(input);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function spoolWrite(fd: number, text: string): void {
  try {
    writeSync(fd, text);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOSPC' || code === 'EDQUOT') throw new StoreError(`disk full while holding the export in ${tmpdir()}`, 'free some space there, or point TMPDIR elsewhere; nothing was printed');
    throw err;
  }
}
