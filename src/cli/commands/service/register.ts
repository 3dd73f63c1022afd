import { Option, type Command } from 'commander';
import type { Ctx } from '../../context.js';
import { confirmDestructive } from '../../confirm.js';
import { collectList, durationArg, requireList, single } from '../../options.js';
import { promptMissing } from '../../prompt-missing.js';
import { parseEnum, validateServiceName } from '../../../domain/validate.js';
import { act, addNoun, addVerb, itemsOption } from '../../verb.js';
import { runServiceCreate, runServiceDelete, runServiceLinks, runServiceList, runServiceSetState, runServiceShow, runServiceUpdate } from './run.js';

interface ServiceFlags {
  id?: string[];
  name?: string;
  description?: string;
  resources?: string[];
  groups?: string[];
  ttl?: number;
  state?: string;
  ifNotExists?: boolean;
  ignoreNotFound?: boolean;
}

const resourcesOption = () => new Option('-r, --resources <refs>', 'resource ids or names, comma-separated').argParser(collectList);

export function registerService(program: Command, ctx: Ctx): void {
  const noun = addNoun(program, 'service', 'service accounts: machines that reach resources with keys', ['account']);

  act<ServiceFlags>(
    ctx,
    'service',
    addVerb(noun, 'create', {
      description: 'create a service account',
      examples: [
        'accessctl service create -n ci-pipeline --description "GitHub Actions deploys" -r artifact-store',
        'accessctl -q account create -n backup-agent -g backup-targets',
        'accessctl service create -n ci-pipeline --if-not-exists   # re-runnable',
      ],
    })
      .option('-n, --name <name>', 'letters, digits and hyphens, 1-64')
      .option('--description <text>', 'what the service is for')
      .addOption(resourcesOption())
      .addOption(new Option('-g, --groups <refs>', 'groups to join, comma-separated').argParser(collectList))
      .option('--if-not-exists', 'if a service has this name, print it and change nothing (exit 0)'),
    async (o) => {
      const name = o.name ?? (await promptMissing(ctx, 'service name', '-n NAME', 'Name of the new service (letters, digits, hyphens)', validateServiceName));
      return runServiceCreate({ name, description: o.description, resources: o.resources, groups: o.groups, ifNotExists: o.ifNotExists }, ctx);
    },
  );

  act<ServiceFlags>(
    ctx,
    'service',
    addVerb(noun, 'list', { description: 'list services with key counts', examples: ['accessctl service list', 'accessctl -f csv service list --state DISABLED'] }).option(
      '--state <state>',
      'ACTIVE or DISABLED',
    ),
    (o) => runServiceList({ state: o.state === undefined ? undefined : parseEnum('state', ['ACTIVE', 'DISABLED'] as const, o.state) }, ctx),
  );

  act<ServiceFlags>(
    ctx,
    'service',
    addVerb(noun, 'show', { description: 'show services: resources, groups, key counts by status', examples: ['accessctl service show -i ci-pipeline'] }).addOption(itemsOption('service ids or names')),
    (o) => runServiceShow(requireList('service', o.id, '-i SERVICE'), ctx),
  );

  act<ServiceFlags>(
    ctx,
    'service',
    addVerb(noun, 'update', {
      description: 'rename a service or change its description',
      aliases: ['rename'],
      examples: ['accessctl service update -i ci-pipeline --description "deploys from main"', 'accessctl service rename -i ci-pipeline -n ci-deployer'],
    })
      .addOption(itemsOption('service id or name'))
      .option('-n, --name <name>', 'new name')
      .option('--description <text>', 'new description'),
    (o) => runServiceUpdate({ ref: single(o.id, '-i SERVICE'), name: o.name, description: o.description }, ctx),
  );

  for (const [verb, state] of [
    ['enable', 'ACTIVE'],
    ['disable', 'DISABLED'],
  ] as const) {
    act<ServiceFlags>(
      ctx,
      'service',
      addVerb(noun, verb, {
        description: state === 'DISABLED' ? 'disable services: every key and token stops working at once' : 'enable services: their ACTIVE keys work again',
        examples: [`accessctl service ${verb} -i ci-pipeline`, `accessctl -y service ${verb} -i ci-pipeline,backup-agent`],
      }).addOption(itemsOption('service ids or names')),
      async (o) => {
        const refs = requireList('service', o.id, '-i SERVICE');
        if (state === 'DISABLED') await confirmDestructive(ctx, `Disable ${refs.length} service(s): ${refs.join(', ')}? Their keys stop working at once.`);
        return runServiceSetState(refs, state, ctx);
      },
    );
  }

  for (const op of ['add', 'remove'] as const) {
    const cmd = addVerb(noun, `${op}-resources`, {
      description: op === 'add' ? 'assign resources to a service directly, optionally for a limited time' : 'remove direct resource assignments',
      aliases: [`${op}Resources`],
      examples: [`accessctl service ${op}-resources -i ci-pipeline -r prod-db${op === 'add' ? ' --ttl 30m' : ''}`],
    })
      .addOption(itemsOption('service id or name'))
      .addOption(resourcesOption());
    if (op === 'add') cmd.addOption(new Option('--ttl <duration>', 'the assignment expires after this long').argParser(durationArg));
    act<ServiceFlags>(ctx, 'service', cmd, (o) => runServiceLinks(op, { ref: single(o.id, '-i SERVICE'), resources: requireList('resources', o.resources, '-r RESOURCES'), ttl: o.ttl }, ctx));
  }

  act<ServiceFlags>(
    ctx,
    'service',
    addVerb(noun, 'delete', {
      description: 'delete services with all their keys, tokens and assignments',
      examples: ['accessctl service delete -i ci-pipeline', 'accessctl -y account delete -i svc_8J2kP0qLm3Xc9ZaB', 'accessctl -y service delete ci-pipeline --ignore-not-found'],
    })
      .addOption(itemsOption('service ids or names'))
      .option('--ignore-not-found', 'exit 0 for services that do not exist (idempotent scripts)'),
    async (o) => {
      const refs = requireList('service', o.id, '-i SERVICE');
      await confirmDestructive(ctx, `Delete ${refs.length} service(s) with all their keys: ${refs.join(', ')}?`);
      return runServiceDelete(refs, ctx, Boolean(o.ignoreNotFound));
    },
  );
}
