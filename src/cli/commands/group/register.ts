import { Option, type Command } from 'commander';
import type { Ctx } from '../../context.js';
import { confirmDestructive } from '../../confirm.js';
import { collectList, daysArg, durationArg, nonNegativeIntArg, requireList, single, timestampArg } from '../../options.js';
import { promptMissing } from '../../prompt-missing.js';
import { validateName } from '../../../domain/validate.js';
import { act, addNoun, addVerb, itemsOption } from '../../verb.js';
import {
  runGroupAdd,
  runGroupCreate,
  runGroupDelete,
  runGroupList,
  runGroupRemove,
  runGroupShow,
  runGroupUpdate,
  type MemberKind,
} from './run.js';
import type { PolicyFlags } from './request-policy.js';
import { runGroupSync } from './sync.js';

interface GroupFlags {
  id?: string[];
  group?: string;
  users?: string[];
  resources?: string[];
  services?: string[];
  ttl?: number;
  expiresAt?: number;
  name?: string;
  permanent?: boolean;
  active?: boolean;
  expired?: boolean;
  ephemeral?: boolean;
  user?: string;
  service?: string;
  resource?: string;
  search?: string;
  expiringWithin?: number;
  ifNotExists?: boolean;
  ignoreNotFound?: boolean;
}

const ttlOption = (what: string) => new Option('--ttl <duration>', `${what} expires after this long: 90s, 30m, 2h, 7d, 2w`).argParser(durationArg);
const usersOption = () => new Option('-u, --users <refs>', 'user ids or emails, comma-separated').argParser(collectList);
const resourcesOption = () => new Option('-r, --resources <refs>', 'resource ids or names, comma-separated').argParser(collectList);
const servicesOption = () => new Option('--services <refs>', 'service ids or names, comma-separated').argParser(collectList);

export function registerGroup(program: Command, ctx: Ctx): void {
  const noun = addNoun(program, 'group', 'groups of users and services, with resources; optionally ephemeral');

  act<GroupFlags>(
    ctx,
    'groupShow',
    addVerb(noun, 'create', {
      description: 'create a group, optionally with members, resources and an expiry',
      examples: [
        'accessctl -f CSV group create -g "My Ephemeral Group" -u ada@example.com,bob@example.com -r prod-db --ttl 2h',
        'accessctl group create -g on-call --expires-at 2026-12-01T08:00:00Z',
        'accessctl -q group create -g ci-runners --services ci-pipeline -r artifact-store',
        'accessctl group create -g jit-$(date +%F) -u ada@example.com -r prod-db --ttl 8h --if-not-exists   # daily, re-runnable',
      ],
    })
      .option('-g, --group <name>', 'group name (unique)')
      .addOption(usersOption())
      .addOption(resourcesOption())
      .addOption(servicesOption())
      .addOption(ttlOption('the group'))
      .addOption(new Option('--expires-at <time>', 'the group expires at this ISO time').argParser(timestampArg))
      .option('--if-not-exists', 'if an unexpired group has this name, print it and change nothing (exit 0)'),
    async (o) => {
      const name = o.group ?? (await promptMissing(ctx, 'group name', '-g NAME', 'Name of the new group', (v) => validateName('group', v)));
      return runGroupCreate({ name, users: o.users, resources: o.resources, services: o.services, ttl: o.ttl, expiresAt: o.expiresAt, ifNotExists: o.ifNotExists }, ctx);
    },
  );

  act<GroupFlags>(
    ctx,
    'group',
    addVerb(noun, 'list', {
      description: 'list groups by name (unexpired ones unless --expired)',
      examples: [
        'accessctl group list',
        'accessctl group list --user ada@example.com',
        'accessctl group list --ephemeral --expiring-within 1d',
        'accessctl group list --resource prod-db --search incident',
        'accessctl -f csv group list --expired',
      ],
    })
      .option('--expired', 'only groups past their expiry, not yet swept')
      .option('--ephemeral', 'only groups with an expiry')
      .option('--user <ref>', 'only groups this user is a live member of')
      .option('--service <ref>', 'only groups this service is a live member of')
      .option('--resource <ref>', 'only groups this resource is assigned to')
      .option('--search <text>', 'part of the name')
      .addOption(new Option('--expiring-within <days>', 'only groups expiring within this many days (or a duration: 2h)').argParser(daysArg)),
    (o) =>
      runGroupList(
        { expired: o.expired, ephemeral: o.ephemeral, user: o.user, service: o.service, resource: o.resource, search: o.search, expiringWithin: o.expiringWithin },
        ctx,
      ),
  );

  act<GroupFlags>(
    ctx,
    'groupShow',
    addVerb(noun, 'show', {
      description: 'show groups by id or name',
      examples: ['accessctl group show on-call', 'accessctl group show -i "My Ephemeral Group"', 'accessctl -f CSV group show -i grp_8J2kP0qLm3Xc9ZaB'],
    }).addOption(
      itemsOption('group ids or names'),
    ),
    (o) => runGroupShow(requireList('group', o.id, '-i GROUP'), ctx),
  );

  act<GroupFlags>(
    ctx,
    'groupShow',
    addVerb(noun, 'update', {
      description: 'rename a group, extend, shorten or clear its expiry, or set how it is requested',
      examples: [
        'accessctl group update -i on-call --ttl 4h',
        'accessctl group update -i grp_8J2kP0qLm3Xc9ZaB --name incident-42 --permanent',
        'accessctl group update prod-admins --requestable --approvers sre-leads',
        'accessctl group update prod-admins --max-duration 4h --approvals 2',
        'accessctl group update prod-admins --not-requestable',
      ],
    })
      .addOption(itemsOption('group id or name'))
      .option('--name <name>', 'new name')
      .addOption(ttlOption('the group (counted from now)'))
      .addOption(new Option('--expires-at <time>', 'new expiry, an ISO time').argParser(timestampArg))
      .option('--permanent', 'remove the expiry')
      .option('--active', 'activate the group')
      .option('--inactive', 'deactivate the group (it grants nothing)')
      .option('--requestable', 'people may request membership (accessctl request create); needs --approvers')
      .option('--not-requestable', 'remove the request policy')
      .option('--approvers <group>', 'the group whose members approve requests (not this group)')
      .option('--max-duration <duration>', 'longest grant a request may ask for (default 8h, at most 366d)')
      .option('--approvals <n>', 'distinct approvers needed, 1-20 (default 1)')
      .option('--pending-ttl <duration>', 'how long a request waits for approval (default 24h, at most 30d)')
      .option('--require-reason', 'a request must give --reason (the default)')
      .option('--no-require-reason', 'a request may omit its reason')
      .option('--break-glass', 'allow break-glass requests: granted at once, reviewed after')
      .option('--no-break-glass', 'refuse break-glass requests (the default)'),
    (o) => {
      const flags = o as GroupFlags & { inactive?: boolean } & PolicyFlags;
      const active = flags.active ? true : flags.inactive ? false : undefined;
      return runGroupUpdate(
        {
          ref: single(o.id, '-i GROUP'),
          name: o.name,
          ttl: o.ttl,
          expiresAt: o.expiresAt,
          permanent: o.permanent,
          active,
          requestable: flags.requestable,
          notRequestable: flags.notRequestable,
          approvers: flags.approvers,
          maxDuration: flags.maxDuration,
          approvals: flags.approvals,
          pendingTtl: flags.pendingTtl,
          requireReason: flags.requireReason,
          breakGlass: flags.breakGlass,
        },
        ctx,
      );
    },
  );

  const linkVerbs: Array<[MemberKind, string, () => Option, string, string]> = [
    ['users', 'Users', usersOption, '-u USERS', 'ada@example.com,bob@example.com'],
    ['resources', 'Resources', resourcesOption, '-r RESOURCES', 'prod-db'],
    ['services', 'Services', servicesOption, '--services SERVICES', 'ci-pipeline'],
  ];
  for (const [kind, camel, option, flag, sample] of linkVerbs) {
    const sampleFlag = flag.split(' ')[0];
    act<GroupFlags>(
      ctx,
      'groupShow',
      addVerb(noun, `add-${kind}`, {
        description: `add ${kind} to a group, optionally for a limited time (--ttl)`,
        aliases: [`add${camel}`],
        examples: [`accessctl group add-${kind} -g on-call ${sampleFlag} ${sample} --ttl 2h`, `accessctl group add-${kind} -g grp_8J2kP0qLm3Xc9ZaB ${sampleFlag} ${sample}`],
      })
        .option('-g, --group <ref>', 'group id or name')
        .addOption(option())
        .addOption(ttlOption(`each new link`)),
      (o) => runGroupAdd({ ref: groupRef(o), kind, members: requireList(kind, o[kind], flag), ttl: o.ttl }, ctx),
    );
    act<GroupFlags>(
      ctx,
      'groupShow',
      addVerb(noun, `remove-${kind}`, {
        description: `remove ${kind} from a group`,
        aliases: [`remove${camel}`],
        examples: [`accessctl group remove-${kind} -g on-call ${sampleFlag} ${sample}`],
      })
        .option('-g, --group <ref>', 'group id or name')
        .addOption(option()),
      (o) => runGroupRemove({ ref: groupRef(o), kind, members: requireList(kind, o[kind], flag) }, ctx),
    );
  }

  act<GroupFlags>(
    ctx,
    'group',
    addVerb(noun, 'delete', {
      description: 'delete groups with their memberships and assignments',
      examples: [
        'accessctl -f CSV group delete -i grp_8J2kP0qLm3Xc9ZaB',
        'accessctl -y group delete -i incident-41,incident-42',
        'accessctl -y group delete on-call --ignore-not-found   # idempotent',
      ],
    })
      .addOption(itemsOption('group ids or names'))
      .option('--ignore-not-found', 'exit 0 for groups that do not exist (idempotent scripts)'),
    async (o) => {
      const refs = requireList('group', o.id, '-i GROUP');
      await confirmDestructive(ctx, `Delete ${refs.length} group(s): ${refs.join(', ')}?`);
      return runGroupDelete(refs, ctx, Boolean(o.ignoreNotFound));
    },
  );

  act<{ dryRun?: boolean; map?: string; maxRemove?: number }>(
    ctx,
    'importChange',
    addVerb(noun, 'sync', {
      description: 'make the groups a membership export names SYNCED with exactly its members (group,email); other groups untouched',
      examples: [
        'accessctl group sync memberships.csv',
        'accessctl group sync --dry-run memberships.csv',
        'accessctl -f json group sync --map "Group Name=group,Member Email=email" --max-remove 25 okta-groups.csv',
      ],
    })
      .argument('<file>', 'CSV with one row per (group, member email), or - for stdin')
      .option('--map <columns>', 'COLUMN=field,… for another layout; fields: group, email')
      .option('--max-remove <n>', 'refuse (exit 4, nothing changed) to remove more than N memberships (default 10)', nonNegativeIntArg)
      .option('--dry-run', 'show what would change; change nothing'),
    (o, args) => runGroupSync(args[0]!, o, ctx),
  );
}

function groupRef(o: GroupFlags): string {
  return single(o.group === undefined ? o.id : [o.group], '-g GROUP');
}
