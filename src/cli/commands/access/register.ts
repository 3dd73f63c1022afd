import { Option, type Command } from 'commander';
import { UsageError } from '../../../domain/errors.js';
import type { Ctx } from '../../context.js';
import { act, addNoun, addVerb } from '../../verb.js';
import { tokenFileOption, tokenSource, tokenStdinOption } from '../key/register.js';
import { runAccessCheck, runAccessList } from './run.js';

interface AccessFlags {
  user?: string;
  service?: string;
  tokenStdin?: boolean;
  tokenFile?: string;
  resource?: string;
  protocol?: string;
  port?: string;
}

export function registerAccess(program: Command, ctx: Ctx): void {
  const noun = addNoun(program, 'access', 'who can reach what, through which grant, until when');

  act<AccessFlags>(
    ctx,
    'access',
    addVerb(noun, 'check', {
      description: 'can this user, service or token reach the resource now? exit 0 allowed, 5 denied',
      examples: [
        'accessctl access check --user ada@example.com -r prod-db',
        'accessctl access check --service ci-pipeline -r prod-db --protocol tcp --port 5432',
        'accessctl access check --token-stdin -r prod-db < key.token',
        'ACCESSCTL_NOW=2026-12-01T00:00:00Z accessctl access check --user ada@example.com -r prod-db   # what-if',
      ],
    })
      .option('--user <ref>', 'user id or email')
      .option('--service <ref>', 'service id or name')
      .addOption(tokenStdinOption())
      .addOption(tokenFileOption())
      .option('-r, --resource <ref>', 'resource id or name')
      .addOption(new Option('--protocol <protocol>', 'tcp, udp or icmp'))
      .option('--port <port>', 'port number (1-65535)'),
    (o) => {
      const token = o.tokenStdin || o.tokenFile !== undefined ? tokenSource(o) : undefined;
      return runAccessCheck({ user: o.user, service: o.service, token, resource: requireResource(o.resource), protocol: o.protocol, port: o.port }, ctx);
    },
  );

  act<AccessFlags>(
    ctx,
    'access',
    addVerb(noun, 'list', {
      description: 'effective access now, with the granting path and when it ends',
      examples: ['accessctl access list --user ada@example.com', 'accessctl -f csv access list -r prod-db', 'accessctl access list --service ci-pipeline'],
    })
      .option('--user <ref>', 'everything this user reaches')
      .option('--service <ref>', 'everything this service reaches')
      .option('-r, --resource <ref>', 'everyone who reaches this resource'),
    (o) => runAccessList({ user: o.user, service: o.service, resource: o.resource }, ctx),
  );
}

function requireResource(ref: string | undefined): string {
  if (ref === undefined) throw new UsageError('missing resource', 'pass -r RESOURCE');
  return ref;
}
