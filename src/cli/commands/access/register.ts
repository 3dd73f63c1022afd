import { Option, type Command } from 'commander';
import { UsageError } from '../../../domain/errors.js';
import type { Ctx } from '../../context.js';
import { act, addNoun, addVerb } from '../../verb.js';
import { tokenFileOption, tokenSource, tokenStdinOption } from '../key/register.js';
import { runAccessCheckAsOf, runAccessDiff, runAccessPopulation } from './as-of.js';
import { runAccessBatch } from './batch.js';
import { askGateCheck } from './ask-gate.js';
import { runAccessExpiring } from './expiring.js';
import { daysArg } from '../../options.js';
import { runAccessCheck, runAccessList } from './run.js';

interface AccessFlags {
  user?: string;
  service?: string;
  tokenStdin?: boolean;
  tokenFile?: string;
  resource?: string;
  protocol?: string;
  port?: string;
  asOf?: string;
  group?: string;
  all?: boolean;
  batch?: boolean;
  socket?: string;
}

export function registerAccess(program: Command, ctx: Ctx): void {
  const noun = addNoun(program, 'access', 'who can reach what, through which grant, until when');

  act<AccessFlags>(
    ctx,
    'accessCheck',
    addVerb(noun, 'check', {
      description: 'can this user, service or token reach the resource now? exit 0 allowed, 5 denied',
      examples: [
        'accessctl access check --user ada@example.com -r prod-db',
        'accessctl access check --service ci-pipeline -r prod-db --protocol tcp --port 5432',
        'accessctl access check --token-stdin -r prod-db < key.token',
        'ACCESSCTL_NOW=2026-12-01T00:00:00Z accessctl access check --user ada@example.com -r prod-db   # what-if',
        'accessctl access check --user ada@example.com -r prod-db --as-of 2026-10-01T00:00:00Z   # what was, from the audit log',
        'echo \'{"user":"ada@example.com","resource":"prod-db","port":5432}\' | accessctl access check --batch   # a gate: NDJSON in, one answer per line out',
        'accessctl access check --socket /run/accessctl/gate.sock --service ci -r db',
      ],
    })
      .option('--user <ref>', 'user id or email')
      .option('--service <ref>', 'service id or name')
      .addOption(tokenStdinOption())
      .addOption(tokenFileOption())
      .option('-r, --resource <ref>', 'resource id or name')
      .addOption(new Option('--protocol <protocol>', 'tcp, udp or icmp'))
      .option('--port <port>', 'port number (1-65535)')
      .option('--as-of <time>', 'answer as of this moment (ISO time, or a duration back: 30d), from the state replayed from the audit log')
      .option('--batch', 'read NDJSON requests on stdin, write one NDJSON answer per request, in order, at once (docs/batch.md)')
      .option('--socket <path>', 'ask a running accessctl serve on this UNIX socket instead of opening the store (docs/gates.md)'),
    async (o) => {
      if (o.socket !== undefined) {
        if (o.batch) throw new UsageError('--socket asks a running gate one question', 'drop --batch (or talk NDJSON to the socket itself: docs/gates.md)');
        if (o.asOf !== undefined) throw new UsageError('--socket asks a running gate about now', 'drop --as-of (the audit log answers it: run it where the store is)');
        const token = o.tokenStdin || o.tokenFile !== undefined ? tokenSource(o) : undefined;
        return askGateCheck(o.socket, { user: o.user, service: o.service, token, resource: requireResource(o.resource), protocol: o.protocol, port: o.port }, ctx);
      }
      // Only now: asking a gate opens no store and connects to no server.
      await ctx.ready();
      if (o.batch) {
        const clash = (['user', 'service', 'tokenStdin', 'tokenFile', 'resource', 'protocol', 'port', 'asOf'] as const).filter((k) => o[k] !== undefined);
        if (clash.length > 0) throw new UsageError('--batch takes its requests from stdin, one JSON object per line', 'drop --user, --service, --token-*, -r, --protocol, --port and --as-of');
        const globals = ctx.globals();
        if (globals.columns !== undefined || globals.quiet) throw new UsageError('--batch answers are whole NDJSON objects', 'drop --columns and -q');
        return runAccessBatch(ctx);
      }
      if (o.asOf !== undefined) {
        if (o.tokenStdin || o.tokenFile !== undefined) throw new UsageError('--as-of cannot judge a token', 'ask about its service: --service NAME --as-of T');
        return runAccessCheckAsOf({ user: o.user, service: o.service, resource: requireResource(o.resource), protocol: o.protocol, port: o.port, asOf: o.asOf }, ctx);
      }
      const token = o.tokenStdin || o.tokenFile !== undefined ? tokenSource(o) : undefined;
      return runAccessCheck({ user: o.user, service: o.service, token, resource: requireResource(o.resource), protocol: o.protocol, port: o.port }, ctx);
    },
    false,
  );

  act<AccessFlags>(
    ctx,
    'access',
    addVerb(noun, 'list', {
      description: 'effective access now (or --as-of a past moment), with the granting path and when it ends',
      examples: [
        'accessctl access list --user ada@example.com',
        'accessctl -f csv access list -r prod-db',
        'accessctl access list --service ci-pipeline',
        'accessctl access list -g oncall',
        'accessctl -f csv access list --all --as-of 2026-10-01T00:00:00Z > population-2026-10-01.csv   # the auditor\'s population',
      ],
    })
      .option('--user <ref>', 'everything this user reaches')
      .option('--service <ref>', 'everything this service reaches')
      .option('-r, --resource <ref>', 'everyone who reaches this resource')
      .option('-g, --group <ref>', 'every grant through this group')
      .option('--all', 'every subject, resource and granting path: one row each')
      .option('--as-of <time>', 'as of this moment (ISO time, or a duration back: 30d), from the state replayed from the audit log'),
    (o) =>
      o.all || o.group !== undefined || o.asOf !== undefined
        ? runAccessPopulation({ user: o.user, service: o.service, resource: o.resource, group: o.group, all: o.all, asOf: o.asOf }, ctx)
        : runAccessList({ user: o.user, service: o.service, resource: o.resource }, ctx),
  );

  act<{ from: string; to?: string }>(
    ctx,
    'accessChange',
    addVerb(noun, 'diff', {
      description: 'access gained and lost between two moments, each with the event (seq, actor, action) that caused it, or its expiry',
      examples: [
        'accessctl access diff --from 2026-10-01T00:00:00Z --to 2026-10-31T23:59:59Z',
        'accessctl -f csv access diff --from 7d > access-changes-this-week.csv',
      ],
    })
      .requiredOption('--from <time>', 'the earlier moment (ISO time, or a duration back: 7d)')
      .option('--to <time>', 'the later moment (default: now)'),
    (o) => runAccessDiff({ from: o.from, to: o.to }, ctx),
  );

  registerExpiring(noun, ctx);
}

function registerExpiring(noun: Command, ctx: Ctx): void {
  act<{ within?: number }>(
    ctx,
    'expiring',
    addVerb(noun, 'expiring', {
      description: 'every grant that ends within D (memberships, assignments, groups, keys), soonest first: who, what, when, from where',
      examples: [
        'accessctl access expiring --within 7d',
        'accessctl -f csv access expiring --within 1d | mail -s "access ending tomorrow" ops@example.com   # crontab, daily',
      ],
    }).addOption(new Option('--within <duration>', 'how far ahead: 7d, 36h, 2w (a bare number is days)').argParser(daysArg)),
    (o) => runAccessExpiring(o.within, ctx),
  );
}

function requireResource(ref: string | undefined): string {
  if (ref === undefined) throw new UsageError('missing resource', 'pass -r RESOURCE');
  return ref;
}
