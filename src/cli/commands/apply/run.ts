import { ConflictError, DeniedError, UsageError } from '../../../domain/errors.js';
import { applyPlan } from '../../../store/apply-plan.js';
import { loadState } from '../../../store/load-state.js';
import { mutate } from '../../../store/mutate.js';
import type { Ctx } from '../../context.js';
import { loadAccessFile } from '../plan/access-file.js';
import { planIdOf, planReport, type PlanReport } from '../plan/report.js';
import { requireMaxDeleteWithPrune } from '../plan/run.js';
import { readAllStdin } from '../plan/store-required.js';
import { meta } from '../shared.js';

export interface ApplyOptions {
  file: string;
  prune?: boolean | undefined;
  plan?: string | undefined;
  maxDelete?: number | undefined;
}

/**
 * Re-plans inside one write transaction, so what is applied is exactly what the store holds at
 * that moment; refuses a stale --plan (exit 4) or a failing test (exit 5) with nothing written.
 */
export async function runApply(opts: ApplyOptions, ctx: Ctx): Promise<{ report: PlanReport; events: number }> {
  requireMaxDeleteWithPrune(opts);
  if (opts.plan !== undefined && !/^[0-9a-f]{16}$/.test(opts.plan.trim())) {
    throw new UsageError(`invalid --plan ${JSON.stringify(opts.plan.slice(0, 40))}`, 'the 16 hex digits plan prints last (accessctl -q plan -f FILE)');
  }
  const loaded = await loadAccessFile(opts.file, () => readAllStdin(ctx));
  const prune = Boolean(opts.prune);
  return mutate(ctx.store().db, meta(ctx), async (tx) => {
    if (opts.plan !== undefined) {
      const id = await planIdOf(tx.db, loaded.sha256, prune);
      if (id !== opts.plan.trim()) {
        throw new ConflictError(
          // Never the new id: it names a plan nobody has reviewed.
          `plan ${opts.plan.trim()} is stale: the store or the file changed since it was made`,
          `run accessctl plan -f ${opts.file}${prune ? ' --prune' : ''} again and review it`,
        );
      }
    }
    const raw = await loadState(tx.db);
    const { plan, report } = await planReport(tx.db, raw, loaded, { prune, now: tx.now, newId: (k) => tx.ids.id(k), maxDelete: opts.maxDelete });
    const failed = report.tests.filter((t) => !t.ok);
    if (failed.length > 0) {
      throw new DeniedError(
        `${failed.length} of ${report.tests.length} access tests fail against the planned state; nothing was applied`,
        `first failure: ${failed[0]!.subjectType} ${failed[0]!.subject} ${failed[0]!.expect} ${failed[0]!.target}`,
      );
    }
    const guard = report.pruneGuard;
    if (guard) {
      throw new ConflictError(`--prune would delete ${guard.reason}; nothing was applied`, `review accessctl plan -f ${opts.file} --prune; if that is meant, add --max-delete ${guard.needs}`);
    }
    const events = await applyPlan(tx, plan, loaded.sha256);
    return { report, events };
  });
}
