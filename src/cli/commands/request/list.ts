import { ExitCode, UsageError, UserError } from '../../../domain/errors.js';
import { looksLikeId } from '../../../domain/ids.js';
import { REQUEST_STATES, type RequestState } from '../../../domain/requests.js';
import { parseEnum } from '../../../domain/validate.js';
import type { OutputRecord } from '../../../output/fields.js';
import { getGroup } from '../../../store/groups.js';
import { findRequest, streamRequests, type RequestFilter } from '../../../store/requests.js';
import { findUserByLogin, getUser } from '../../../store/users.js';
import type { Ctx } from '../../context.js';
import type { Output } from '../../emit.js';
import { currentLogin } from '../../login.js';
import { showMany } from '../shared.js';
import { requestRecord } from './records.js';

export interface RequestListOptions {
  pending?: boolean | undefined;
  mine?: boolean | undefined;
  group?: string | undefined;
  user?: string | undefined;
  state?: string | undefined;
  unreviewed?: boolean | undefined;
  failIfAny?: boolean | undefined;
}

/** `request list`, oldest first; with --fail-if-any it exits 7 once the rows are printed, if there were any. */
export async function runRequestList(opts: RequestListOptions, ctx: Ctx): Promise<Output> {
  const db = ctx.store().db;
  const now = ctx.clock.now();
  let state: RequestState | undefined = opts.state === undefined ? undefined : parseEnum('state', REQUEST_STATES, opts.state);
  if (opts.pending) {
    if (state !== undefined && state !== 'PENDING') throw new UsageError(`--pending and --state ${state} contradict each other`, 'pass one of them');
    state = 'PENDING';
  }
  const filter: RequestFilter = { state, unreviewed: opts.unreviewed };
  // Requests outlive the groups and users they name: an id is taken as it is.
  if (opts.group !== undefined) filter.groupId = looksLikeId('group', opts.group.trim()) ? opts.group.trim() : (await getGroup(db, opts.group)).id;
  if (opts.user !== undefined) filter.userId = looksLikeId('user', opts.user.trim()) ? opts.user.trim() : (await getUser(db, opts.user)).id;
  if (opts.mine) {
    const login = await currentLogin(ctx);
    filter.mine = { login, userId: (await findUserByLogin(db, login))?.id };
  }
  let count = 0;
  async function* records(): AsyncIterable<OutputRecord> {
    for await (const row of streamRequests(db, filter, now)) {
      count += 1;
      yield requestRecord(row, now);
    }
  }
  const omit = [...(opts.group !== undefined ? ['groupName'] : []), ...(opts.user !== undefined ? ['userEmail'] : [])];
  return {
    kind: 'request',
    records: records(),
    omit,
    get after() {
      if (!opts.failIfAny || count === 0) return undefined;
      return new UserError('FINDINGS', ExitCode.findings, `request list found ${count} request${count === 1 ? '' : 's'}`, 'approve, deny or review them, then run again');
    },
  };
}

export async function runRequestShow(refs: string[], ctx: Ctx): Promise<Output> {
  const now = ctx.clock.now();
  return showMany(ctx, 'request', refs, async (ref) => {
    const row = await findRequest(ctx.store().db, ref);
    return row ? requestRecord(row, now) : undefined;
  });
}
