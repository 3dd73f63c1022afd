import { Option, type Command } from 'commander';
import type { Ctx } from '../../context.js';
import { confirmDestructive } from '../../confirm.js';
import { requireList, single } from '../../options.js';
import { promptMissing } from '../../prompt-missing.js';
import { validateAddress, validateName } from '../../../domain/validate.js';
import { act, addNoun, addVerb, itemsOption } from '../../verb.js';
import {
  runResourceCreate,
  runResourceDelete,
  runResourceList,
  runResourceSetActive,
  runResourceShow,
  runResourceUpdate,
} from './run.js';
import { runResourceImport } from './import.js';

interface ResourceFlags {
  id?: string[];
  name?: string;
  address?: string;
  alias?: string;
  tcp?: string;
  udp?: string;
  icmp?: boolean;
  active?: boolean;
  search?: string;
  ifNotExists?: boolean;
  ignoreNotFound?: boolean;
}

export function registerResource(program: Command, ctx: Ctx): void {
  const noun = addNoun(program, 'resource', 'network destinations: hosts, wildcards, IPs and CIDR ranges');

  act<ResourceFlags>(
    ctx,
    'resource',
    addVerb(noun, 'create', {
      description: 'create a resource',
      examples: [
        'accessctl resource create -n prod-db -a db.prod.internal --tcp 5432',
        'accessctl resource create -n office -a 10.20.0.0/16 --udp DENY_ALL --no-icmp',
        'accessctl -q resource create -n wiki -a "*.wiki.example.com" --tcp 443',
        'accessctl resource create -n prod-db -a db.prod.internal --if-not-exists   # re-runnable',
      ],
    })
      .option('-n, --name <name>', 'unique name')
      .option('-a, --address <address>', 'FQDN, *.wildcard, IPv4/IPv6 or CIDR')
      .option('--alias <alias>', 'DNS alias')
      .option('--tcp <rule>', 'ALLOW_ALL, DENY_ALL or ranges like 22,443,8000-8100', 'ALLOW_ALL')
      .option('--udp <rule>', 'ALLOW_ALL, DENY_ALL or ranges', 'ALLOW_ALL')
      .option('--no-icmp', 'block ICMP (ping)')
      .option('--if-not-exists', 'if a resource has this name, print it and change nothing (exit 0)'),
    async (o) => {
      const name = o.name ?? (await promptMissing(ctx, 'resource name', '-n NAME', 'Name of the new resource', (v) => validateName('resource', v)));
      const address = o.address ?? (await promptMissing(ctx, 'address', '-a ADDRESS', 'Address (host, *.wildcard, IP or CIDR)', validateAddress));
      return runResourceCreate({ name, address, alias: o.alias, tcp: o.tcp, udp: o.udp, icmp: o.icmp, ifNotExists: o.ifNotExists }, ctx);
    },
  );

  act<ResourceFlags>(
    ctx,
    'resource',
    addVerb(noun, 'list', { description: 'list resources by name', examples: ['accessctl resource list', 'accessctl resource list --search prod', 'accessctl -f csv resource list --inactive'] })
      .addOption(new Option('--active', 'only active resources'))
      .addOption(new Option('--inactive', 'only inactive resources'))
      .option('--search <text>', 'part of the name, address or alias'),
    (o) => {
      const flags = o as ResourceFlags & { inactive?: boolean };
      const active = flags.active ? true : flags.inactive ? false : undefined;
      return runResourceList({ active, search: o.search }, ctx);
    },
  );

  act<ResourceFlags>(
    ctx,
    'resource',
    addVerb(noun, 'show', { description: 'show resources by id or name', examples: ['accessctl resource show -i prod-db', 'accessctl -f json resource show -i prod-db,wiki'] }).addOption(
      itemsOption('resource ids or names'),
    ),
    (o) => runResourceShow(requireList('resource', o.id, '-i RESOURCE'), ctx),
  );

  act<ResourceFlags>(
    ctx,
    'resource',
    addVerb(noun, 'update', {
      description: 'change a resource’s name, address, alias or port rules',
      examples: ['accessctl resource update -i prod-db --tcp 5432,6432', 'accessctl resource update -i wiki --name intranet-wiki --no-icmp'],
    })
      .addOption(itemsOption('resource id or name'))
      .option('-n, --name <name>', 'new name')
      .option('-a, --address <address>', 'new address')
      .option('--alias <alias>', 'new alias ("" clears it)')
      .option('--tcp <rule>', 'new TCP rule')
      .option('--udp <rule>', 'new UDP rule')
      .option('--icmp', 'allow ICMP')
      .option('--no-icmp', 'block ICMP'),
    (o) => runResourceUpdate(single(o.id, '-i RESOURCE'), { name: o.name, address: o.address, alias: o.alias, tcp: o.tcp, udp: o.udp, icmp: o.icmp }, ctx),
  );

  for (const [verb, active] of [
    ['enable', true],
    ['disable', false],
  ] as const) {
    act<ResourceFlags>(
      ctx,
      'resource',
      addVerb(noun, verb, {
        description: `${verb} resources (an inactive resource is reachable by no one)`,
        examples: [`accessctl resource ${verb} -i prod-db`, `accessctl -y resource ${verb} -i prod-db,wiki`],
      }).addOption(itemsOption('resource ids or names')),
      async (o) => {
        const refs = requireList('resource', o.id, '-i RESOURCE');
        if (!active) await confirmDestructive(ctx, `Disable ${refs.length} resource(s): ${refs.join(', ')}?`);
        return runResourceSetActive(refs, active, ctx);
      },
    );
  }

  act<ResourceFlags>(
    ctx,
    'resource',
    addVerb(noun, 'delete', {
      description: 'delete resources and every assignment of them',
      examples: ['accessctl resource delete -i prod-db', 'accessctl -y resource delete -i res_8J2kP0qLm3Xc9ZaB', 'accessctl -y resource delete prod-db --ignore-not-found'],
    })
      .addOption(itemsOption('resource ids or names'))
      .option('--ignore-not-found', 'exit 0 for resources that do not exist (idempotent scripts)'),
    async (o) => {
      const refs = requireList('resource', o.id, '-i RESOURCE');
      await confirmDestructive(ctx, `Delete ${refs.length} resource(s): ${refs.join(', ')}?`);
      return runResourceDelete(refs, ctx, Boolean(o.ignoreNotFound));
    },
  );

  act<{ dryRun?: boolean }>(
    ctx,
    'importChange',
    addVerb(noun, 'import', {
      description: 'create or update resources from CSV (name,address,alias,tcp,udp,icmp,isActive); all rows or none',
      examples: ['accessctl resource import examples/onboarding-resources.csv', 'accessctl resource import --dry-run examples/onboarding-resources.csv', 'generate-resources | accessctl -f csv resource import -'],
    })
      .argument('<file>', 'CSV file with a header row, or - for stdin')
      .option('--dry-run', 'show what would change; change nothing'),
    (o, args) => runResourceImport(args[0]!, o, ctx),
  );
}
