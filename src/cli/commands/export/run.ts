import { exportDocument } from '../../../domain/access-code/export.js';
import { loadState } from '../../../store/load-state.js';
import type { Ctx } from '../../context.js';
import { requireExistingStore } from '../plan/store-required.js';

/** The whole store by name, as YAML (default) or JSON: byte-identical for an unchanged store. */
export async function runExport(ctx: Ctx, format: 'table' | 'json'): Promise<string> {
  requireExistingStore(ctx);
  const raw = await loadState(ctx.store().db);
  const doc = exportDocument(raw, ctx.clock.now());
  if (format === 'json') return `${JSON.stringify(doc, null, 2)}\n`;
  const { stringify } = await import('yaml');
  return `# accessctl access file: review changes with "accessctl plan -f FILE", apply with "accessctl apply -f FILE".\n${stringify(doc, { lineWidth: 0 })}`;
}
