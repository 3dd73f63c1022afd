import { Option, type Command } from 'commander';
import { parseDuration } from '../../../domain/time.js';
import { validateName } from '../../../domain/validate.js';
import { promptMissing } from '../../prompt-missing.js';
import type { Ctx } from '../../context.js';
import { confirmDestructive } from '../../confirm.js';
import { durationArg, requireList, single, timestampArg } from '../../options.js';
import { act, addNoun, addVerb, itemsOption } from '../../verb.js';
import { runRequestCreate } from './create.js';
import { runRequestDecide, type Decision } from './decide.js';
import { runRequestList, runRequestShow } from './list.js';

interface RequestFlags {
  id?: string[];
  group?: string;
  for?: number;
  user?: string;
  reason?: string;
  ticket?: string;
  start?: number;
  breakGlass?: boolean;
  pending?: boolean;
  mine?: boolean;
  state?: string;
  unreviewed?: boolean;
  failIfAny?: boolean;
}

const DECISIONS: Array<[Decision, string, string[], boolean]> = [
  ['approve', 'approve a pending request (the last approval grants the access)', ['accessctl request approve req_8J2kP0qLm3Xc9ZaB', 'accessctl request approve req_8J2kP0qLm3Xc9ZaB --reason "INC-42 on call"'], false],
  ['deny', 'deny a pending request', ['accessctl request deny req_8J2kP0qLm3Xc9ZaB --reason "use the read replica"'], true],
  ['cancel', 'withdraw a pending request you asked for', ['accessctl request cancel req_8J2kP0qLm3Xc9ZaB'], false],
  ['revoke', 'end an approved grant now (an approver or its user)', ['accessctl request revoke req_8J2kP0qLm3Xc9ZaB --reason "done early"'], false],
  ['review', 'review a break-glass grant after the fact', ['accessctl request review req_8J2kP0qLm3Xc9ZaB --reason "INC-7, checked"'], true],
];

export function registerRequest(program: Command, ctx: Ctx): void {
  const noun = addNoun(program, 'request', 'access requests: ask for a group for a while, approve, revoke, review');

  act<RequestFlags>(
    ctx,
    'request',
    addVerb(noun, 'create', {
      description: 'ask for a requestable group for a while (the clock starts at approval)',
      examples: [
        'accessctl request create -g prod-db --for 2h --reason "INC-42"',
        'accessctl request create -g prod-db --for 1h --user bob@example.com',
        'accessctl request create -g prod-db --for 4h --start 2026-12-08T22:00:00Z',
        'accessctl request create -g prod-db --for 30m --break-glass --reason outage',
      ],
    })
      .option('-g, --group <name>', 'the group asked for (requestable)')
      .addOption(new Option('--for <duration>', 'how long the access lasts once granted: 30m, 2h, 1h30m').argParser(durationArg))
      .option('--user <ref>', 'ask on behalf of this user (default: the user linked to your login)')
      .option('--reason <text>', 'why (required where the group says so)')
      .option('--ticket <ref>', 'a ticket or change reference')
      .addOption(new Option('--start <time>', 'not before this ISO time').argParser(timestampArg))
      .option('--break-glass', 'granted at once where the group allows it, reviewed afterwards'),
    async (o) => {
      const group = o.group ?? (await promptMissing(ctx, 'group', '-g GROUP', 'Group to ask for', (v) => validateName('group', v)));
      const durationMs = o.for ?? parseDuration(await promptMissing(ctx, 'duration', '--for DURATION, for example --for 2h', 'For how long (30m, 2h, 1h30m)', (v) => parseDuration(v, '--for')), '--for');
      return runRequestCreate({ group, durationMs, user: o.user, reason: o.reason, ticket: o.ticket, start: o.start, breakGlass: o.breakGlass }, ctx);
    },
  );

  act<RequestFlags>(
    ctx,
    'request',
    addVerb(noun, 'list', {
      description: 'list requests, oldest first, with their state as of now',
      examples: [
        'accessctl request list --pending',
        'accessctl request list --mine',
        'accessctl request list -g prod-db --state APPROVED',
        'accessctl request list --unreviewed --fail-if-any   # cron, CI',
      ],
    })
      .option('--pending', 'only requests waiting for a decision')
      .option('--mine', 'only requests for your user or asked by your login')
      .option('-g, --group <ref>', 'only requests for this group')
      .option('--user <ref>', 'only requests for this user')
      .option('--state <state>', 'PENDING, APPROVED, DENIED, CANCELLED, REVOKED, EXPIRED or ENDED')
      .option('--unreviewed', 'only break-glass grants nobody has reviewed')
      .option('--fail-if-any', 'exit 7 when the list is not empty'),
    (o) => runRequestList({ pending: o.pending, mine: o.mine, group: o.group, user: o.user, state: o.state, unreviewed: o.unreviewed, failIfAny: o.failIfAny }, ctx),
  );

  act<RequestFlags>(
    ctx,
    'request',
    addVerb(noun, 'show', {
      description: 'show requests with every approval',
      examples: ['accessctl request show req_8J2kP0qLm3Xc9ZaB', 'accessctl -f json request show -i req_8J2kP0qLm3Xc9ZaB'],
    }).addOption(itemsOption('request ids')),
    (o) => runRequestShow(requireList('request', o.id, '-i REQUEST'), ctx),
  );

  for (const [decision, description, examples, needsReason] of DECISIONS) {
    const cmd = addVerb(noun, decision, { description, examples });
    if (decision !== 'revoke') cmd.argument('[refs...]', 'the request id, as with -i');
    cmd.addOption(itemsOption('the request id')).option('--reason <text>', needsReason ? 'why (required)' : 'why');
    act<RequestFlags>(ctx, 'request', cmd, async (o) => {
      const ref = single(o.id, '-i REQUEST');
      if (decision === 'revoke') await confirmDestructive(ctx, `Revoke request ${ref} and end its access now?`);
      return runRequestDecide(decision, ref, o.reason, ctx);
    });
  }
}
