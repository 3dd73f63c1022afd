import { DeniedError } from '../../../domain/errors.js';
import type { TestResult } from '../../../domain/access-code/effective.js';
import { FileProblem } from '../../../domain/access-code/model.js';
import { computePlan } from '../../../domain/access-code/plan.js';
import { ID_PREFIX, type IdKind } from '../../../domain/ids.js';
import { emptyState, type State } from '../../../domain/state.js';
import { loadState } from '../../../store/load-state.js';
import { storeFileExists } from '../../../store/permission.js';
import type { Ctx } from '../../context.js';
import { loadAccessFile } from '../plan/access-file.js';
import { checkedTests } from '../plan/report.js';
import { readAllStdin, requireExistingStore } from '../plan/store-required.js';

export interface TestOptions {
  file: string;
  live?: boolean | undefined;
}

/**
 * The file's tests against the world the file describes, as `plan` runs them: the store with the
 * file applied, or with no store (a CI runner holding only the repository) the file alone. A pull
 * request that adds a user passes its own `can`. `--live` tests the store as it is (drift).
 */
export async function runTest(opts: TestOptions, ctx: Ctx): Promise<TestResult[]> {
  if (opts.live) requireExistingStore(ctx);
  const loaded = await loadAccessFile(opts.file, () => readAllStdin(ctx));
  const now = ctx.clock.now();
  const { path, url } = ctx.globals().location;
  // A store this account may not read is exit 6, never "no store": the file alone would pass.
  const hasStore = opts.live || url !== undefined || storeFileExists(path);
  const raw: State = hasStore ? await loadState(ctx.store().db) : emptyState();
  if (opts.live) return checkedTests(raw, loaded, now, undefined, true);
  let n = 0;
  // Objects the file would create have no id; these stand in for them and are never stored.
  const newId = (kind: IdKind) => `${ID_PREFIX[kind]}planned${String(++n).padStart(9, '0')}`;
  try {
    const plan = computePlan(raw, loaded.file, { prune: false, now, newId });
    return checkedTests(plan.planned, loaded, now, plan.current);
  } catch (err) {
    if (err instanceof FileProblem) throw await loaded.problem(err);
    throw err;
  }
}

export function testOutcome(results: readonly TestResult[]): DeniedError | undefined {
  const failed = results.filter((r) => !r.ok).length;
  return failed > 0 ? new DeniedError(`${failed} of ${results.length} access tests failed`, 'see the FAIL lines') : undefined;
}
