import { DeniedError } from '../../../domain/errors.js';
import type { TestResult } from '../../../domain/access-code/effective.js';
import { loadState } from '../../../store/load-state.js';
import type { Ctx } from '../../context.js';
import { loadAccessFile } from '../plan/access-file.js';
import { checkedTests } from '../plan/report.js';
import { readAllStdin, requireExistingStore } from '../plan/store-required.js';

/** The file's tests against the store as it is now; declarations are not applied. */
export async function runTest(opts: { file: string }, ctx: Ctx): Promise<TestResult[]> {
  requireExistingStore(ctx);
  const loaded = await loadAccessFile(opts.file, () => readAllStdin(ctx));
  const raw = await loadState(ctx.store().db);
  return checkedTests(raw, loaded, ctx.clock.now());
}

export function testOutcome(results: readonly TestResult[]): DeniedError | undefined {
  const failed = results.filter((r) => !r.ok).length;
  return failed > 0 ? new DeniedError(`${failed} of ${results.length} access tests failed`, 'see the FAIL lines') : undefined;
}
