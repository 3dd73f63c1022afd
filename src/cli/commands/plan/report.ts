import { createHash } from 'node:crypto';
import { accessDiff, runTests, type AccessChange, type TestResult } from '../../../domain/access-code/effective.js';
import { FileProblem } from '../../../domain/access-code/model.js';
import { computePlan, type ObjectChange, type Plan } from '../../../domain/access-code/plan.js';
import { pruneGuard, type PruneGuard } from '../../../domain/access-code/prune-guard.js';
import type { IdKind } from '../../../domain/ids.js';
import type { State } from '../../../domain/state.js';
import { nameKey } from '../../../domain/validate.js';
import { chainHead } from '../../../store/audit.js';
import type { Db } from '../../../store/mutate.js';
import type { LoadedFile } from './access-file.js';

export interface PlanReport {
  fileName: string;
  fileSha256: string;
  planId: string;
  prune: boolean;
  /** Set when --prune would delete more than --max-delete allows: apply refuses (exit 4). */
  pruneGuard: PruneGuard | null;
  changes: ObjectChange[];
  access: AccessChange[];
  tests: TestResult[];
}

/**
 * The plan id names one file against one store moment: the file's bytes, the audit head
 * (seq and hash) and --prune. Any write moves the head, so `apply --plan ID` sees it.
 */
export async function planIdOf(db: Db, fileSha256: string, prune: boolean): Promise<string> {
  const head = await chainHead(db);
  return createHash('sha256').update(`${fileSha256}\n${head.seq}\n${head.hash}\n${prune ? 'prune' : ''}`).digest('hex').slice(0, 16);
}

/** Plans `loaded` against `raw` (the live tables), then diffs access and runs the tests on the result. */
export async function planReport(
  db: Db,
  raw: State,
  loaded: LoadedFile,
  opts: { prune: boolean; now: number; newId: (kind: IdKind) => string; maxDelete?: number | undefined },
): Promise<{ plan: Plan; report: PlanReport }> {
  let plan: Plan;
  try {
    plan = computePlan(raw, loaded.file, opts);
  } catch (err) {
    if (err instanceof FileProblem) throw await loaded.problem(err);
    throw err;
  }
  const tests = checkedTests(plan.planned, loaded, opts.now, plan.current);
  return {
    plan,
    report: {
      fileName: loaded.name,
      fileSha256: loaded.sha256,
      planId: await planIdOf(db, loaded.sha256, opts.prune),
      prune: opts.prune,
      pruneGuard: pruneGuard(plan, opts.maxDelete),
      changes: plan.changes,
      access: accessDiff(plan.current, plan.planned, opts.now),
      tests,
    },
  };
}

/**
 * The file's tests against `state`. A name that exists nowhere (neither in the file, nor in the
 * state, nor in `before`) is a failing test, never a passing `cannot`: a typo must not pass.
 * `live` judges the store alone: a name only the file declares exists nowhere yet.
 */
export function checkedTests(state: State, loaded: LoadedFile, now: number, before?: State, live = false): TestResult[] {
  const f = loaded.file;
  // No tests, nothing to index: the name sets below cost a pass over every user otherwise.
  if (f.tests.length === 0) return [];
  const declared = <T>(items: T[], key: (t: T) => string) => (live ? [] : items.map(key));
  // Names the store knew before the plan count too: "cannot" of a user --prune removes is a fair test.
  const known = {
    users: new Set([...declared(f.users, (u) => nameKey(u.email)), ...[...(before?.users.values() ?? [])].map((u) => u.email_key)]),
    services: new Set([...declared(f.services, (s) => nameKey(s.name)), ...[...(before?.services.values() ?? [])].map((s) => s.name_key)]),
    resources: new Set([...declared(f.resources, (r) => nameKey(r.name)), ...[...(before?.resources.values() ?? [])].map((r) => r.name_key)]),
  };
  return runTests(state, f.tests, now, known);
}
