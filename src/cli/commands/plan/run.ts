import { DeniedError, UsageError, UserError } from '../../../domain/errors.js';
import { ID_PREFIX, type IdKind } from '../../../domain/ids.js';
import { loadState } from '../../../store/load-state.js';
import type { Ctx } from '../../context.js';
import { loadAccessFile } from './access-file.js';
import { planReport, type PlanReport } from './report.js';
import { readAllStdin, requireExistingStore } from './store-required.js';

export interface PlanOptions {
  file: string;
  prune?: boolean | undefined;
  maxDelete?: number | undefined;
}

/** Reads the store and the file; writes nothing. */
export async function runPlan(opts: PlanOptions, ctx: Ctx): Promise<PlanReport> {
  requireMaxDeleteWithPrune(opts);
  requireExistingStore(ctx);
  const loaded = await loadAccessFile(opts.file, () => readAllStdin(ctx));
  const db = ctx.store().db;
  const raw = await loadState(db);
  let n = 0;
  // Objects a plan would create have no id yet; these stand in for them and are never stored.
  const newId = (kind: IdKind) => `${ID_PREFIX[kind]}planned${String(++n).padStart(9, '0')}`;
  const { report } = await planReport(db, raw, loaded, { prune: Boolean(opts.prune), now: ctx.clock.now(), newId, maxDelete: opts.maxDelete });
  return report;
}

/** Exit 5 when a test fails, else 7 when something would change, else 0. */
export function planOutcome(report: PlanReport, file: string): UserError | undefined {
  const failed = report.tests.filter((t) => !t.ok).length;
  if (failed > 0) return new DeniedError(`${failed} of ${report.tests.length} access tests fail against the planned state`, 'see the FAIL lines; nothing was changed');
  const pending = report.changes.length;
  if (pending > 0) {
    const guard = report.pruneGuard;
    const flags = `${report.prune ? ' --prune' : ''}${guard ? ` --max-delete ${guard.needs}` : ''}`;
    return new UserError(
      'CHANGES_PENDING',
      7,
      `${pending} object change${pending === 1 ? '' : 's'} pending${guard ? `; --prune would delete ${guard.reason}` : ''}`,
      `${guard ? 'if that is meant, apply' : 'apply'} them with: accessctl apply -f ${file}${flags} --plan ${report.planId}`,
    );
  }
  return undefined;
}

/** `--max-delete` bounds what --prune deletes; alone it would silently mean nothing. */
export function requireMaxDeleteWithPrune(opts: { prune?: boolean | undefined; maxDelete?: number | undefined }): void {
  if (opts.maxDelete !== undefined && !opts.prune) throw new UsageError('--max-delete is only for --prune', 'add --prune, or leave --max-delete out');
}
