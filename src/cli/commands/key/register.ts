import { Option, type Command } from 'commander';
import { UsageError } from '../../../domain/errors.js';
import { KEY_STATUSES } from '../../../domain/key-lifecycle.js';
import type { Ctx } from '../../context.js';
import { confirmDestructive } from '../../confirm.js';
import { daysArg, durationArg, expirationArg, requireList, single } from '../../options.js';
import { act, addNoun, addVerb, itemsOption } from '../../verb.js';
import type { TokenSource } from './authenticate.js';
import { chooseExpiration, chooseService } from './prompts.js';
import { runKeyRotate } from './rotate.js';
import { runKeyCreate, runKeyDelete, runKeyExchange, runKeyList, runKeyRename, runKeyRevoke, runKeyShow, runKeyVerify } from './run.js';
import { FINDINGS, runKeyReport } from './report.js';

interface KeyFlags {
  id?: string[];
  service?: string;
  name?: string;
  expiration?: number;
  status?: string;
  expiringWithin?: number;
  unusedFor?: number;
  neverUsed?: boolean;
  ignoreNotFound?: boolean;
  failOn?: string;
  overlap?: number;
  ttl?: number;
  tokenFile?: string;
  tokenStdin?: boolean;
}

export const tokenFileOption = () => new Option('--token-file <path>', 'read the token from this file instead of stdin');
export const tokenStdinOption = () => new Option('--token-stdin', 'read the token from stdin (the default)');
export const tokenSource = (o: { tokenFile?: string }): TokenSource => (o.tokenFile === undefined ? { stdin: true } : { file: o.tokenFile });
const expirationOption = (what = 'default: config key.defaultExpirationDays') =>
  new Option('-e, --expiration <days>', `days (90) or a duration (36h, 2w) until the key expires; 0 = never (${what})`).argParser(expirationArg);

export function registerKey(program: Command, ctx: Ctx): void {
  const noun = addNoun(program, 'key', 'service keys: create, rotate, revoke; tokens printed once');

  act<KeyFlags>(
    ctx,
    'newKey',
    addVerb(noun, 'create', {
      description: 'issue a key for a service; its token is printed once, now',
      examples: ['accessctl key create -i ci-pipeline -n github-actions -e 90', 'accessctl key create -i ci-pipeline -n nightly -e 2w', 'TOKEN=$(accessctl -q key create -i ci-pipeline -e 0)'],
    })
      .addOption(itemsOption('service id or name'))
      .option('-n, --name <name>', 'key name, unique within the service (default key-N)')
      .addOption(expirationOption()),
    async (o) => {
      const service = o.id === undefined ? await chooseService(ctx) : single(o.id, '-i SERVICE');
      const expiration = o.expiration ?? (o.id === undefined ? await chooseExpiration(ctx) : undefined);
      return runKeyCreate({ service, name: o.name, expiration }, ctx);
    },
  );

  act<KeyFlags>(
    ctx,
    'key',
    addVerb(noun, 'list', {
      description: 'list keys (never their tokens)',
      examples: [
        'accessctl key list --service ci-pipeline',
        'accessctl key list --status ACTIVE --expiring-within 14',
        'accessctl key list --unused-for 90 --status ACTIVE',
        'accessctl -f csv key list --never-used',
      ],
    })
      .option('--service <ref>', 'only keys of this service')
      .addOption(new Option('--status <status>', 'ACTIVE, REVOKED or EXPIRED').choices([...KEY_STATUSES, ...KEY_STATUSES.map((s) => s.toLowerCase())]))
      .addOption(new Option('--expiring-within <days>', 'only ACTIVE keys expiring within this many days (or a duration: 36h)').argParser(daysArg))
      .addOption(new Option('--unused-for <days>', 'only keys not used for this many days (or a duration); never-used keys count from creation').argParser(daysArg))
      .option('--never-used', 'only keys that have never been used'),
    (o) => runKeyList({ service: o.service, status: o.status, expiringWithin: o.expiringWithin, unusedFor: o.unusedFor, neverUsed: o.neverUsed }, ctx),
  );

  act<KeyFlags>(
    ctx,
    'key',
    addVerb(noun, 'show', { description: 'show keys by id', examples: ['accessctl key show -i key_8J2kP0qLm3Xc9ZaB', 'accessctl -f json key show -i github-actions'] }).addOption(
      itemsOption('key ids (or names)'),
    ),
    (o) => runKeyShow(requireList('key', o.id, '-i KEY'), ctx),
  );

  act<KeyFlags>(
    ctx,
    'key',
    addVerb(noun, 'rename', { description: 'rename an ACTIVE key', examples: ['accessctl key rename -i key_8J2kP0qLm3Xc9ZaB -n deploy-bot'] })
      .addOption(itemsOption('key id'))
      .option('-n, --name <name>', 'new name'),
    (o) => {
      if (o.name === undefined) throw new UsageError('missing new name', 'pass -n NAME');
      return runKeyRename(single(o.id, '-i KEY'), o.name, ctx);
    },
  );

  act<KeyFlags>(
    ctx,
    'key',
    addVerb(noun, 'revoke', {
      description: 'revoke ACTIVE keys for good; their exchanged tokens die with them',
      examples: ['accessctl key revoke -i key_8J2kP0qLm3Xc9ZaB', 'accessctl -y key revoke -i key_8J2kP0qLm3Xc9ZaB,key_Q1w2E3r4T5y6U7i8'],
    }).addOption(itemsOption('key ids')),
    async (o) => {
      const refs = requireList('key', o.id, '-i KEY');
      await confirmDestructive(ctx, `Revoke ${refs.length} key(s): ${refs.join(', ')}? This cannot be undone.`);
      return runKeyRevoke(refs, ctx);
    },
  );

  act<KeyFlags>(
    ctx,
    'key',
    addVerb(noun, 'delete', {
      description: 'delete REVOKED or EXPIRED keys (an ACTIVE key must be revoked first)',
      examples: ['accessctl key delete -i key_8J2kP0qLm3Xc9ZaB', 'accessctl -y key delete key_8J2kP0qLm3Xc9ZaB --ignore-not-found'],
    })
      .addOption(itemsOption('key ids'))
      .option('--ignore-not-found', 'exit 0 for keys that do not exist (idempotent scripts)'),
    async (o) => {
      const refs = requireList('key', o.id, '-i KEY');
      await confirmDestructive(ctx, `Delete ${refs.length} key(s): ${refs.join(', ')}?`);
      return runKeyDelete(refs, ctx, Boolean(o.ignoreNotFound));
    },
  );

  act<KeyFlags>(
    ctx,
    'newKey',
    addVerb(noun, 'rotate', {
      description: 'replace a key: the new one takes its name and lifetime; the old one, renamed NAME-rotated-N, is revoked now or expires after --overlap',
      examples: ['accessctl key rotate -i key_8J2kP0qLm3Xc9ZaB', 'NEW=$(accessctl -q key rotate -i deploy --overlap 1h)', 'accessctl key rotate -i deploy -e 30'],
    })
      .addOption(itemsOption('key id'))
      .addOption(new Option('--overlap <duration>', 'keep the old key valid this much longer (never past its own expiry)').argParser(durationArg))
      .option('-n, --name <name>', 'name of the new key (default: the old key\'s name)')
      .addOption(expirationOption('default: the old key\'s lifetime')),
    async (o) => {
      const ref = single(o.id, '-i KEY');
      await confirmDestructive(ctx, o.overlap === undefined ? `Rotate ${ref}? The old key is revoked at once.` : `Rotate ${ref}? The old key stops working within the overlap.`);
      return runKeyRotate({ ref, overlap: o.overlap, name: o.name, expiration: o.expiration }, ctx);
    },
  );

  act<KeyFlags>(
    ctx,
    'exchangedToken',
    addVerb(noun, 'exchange', {
      description: 'trade a key token (stdin) for a short-lived token (default 1h, max 12h)',
      examples: ['accessctl -q key exchange < key.token > short.token', 'accessctl -q key exchange --ttl 15m --token-file /run/secrets/accessctl-key'],
    })
      .addOption(tokenStdinOption())
      .addOption(tokenFileOption())
      .addOption(new Option('--ttl <duration>', 'life of the new token (default config token.defaultTtl)').argParser(durationArg)),
    (o) => runKeyExchange({ source: tokenSource(o), ttl: o.ttl }, ctx),
  );

  act<KeyFlags>(
    ctx,
    'verification',
    addVerb(noun, 'verify', {
      description: 'check a token read from stdin: exit 0 valid, 5 invalid',
      examples: ['accessctl key verify < key.token', 'printf %s "$TOKEN" | accessctl -f json key verify'],
    })
      .addOption(tokenStdinOption())
      .addOption(tokenFileOption()),
    (o) => runKeyVerify(tokenSource(o), ctx),
  );

  act<KeyFlags>(
    ctx,
    'keyReport',
    addVerb(noun, 'report', {
      description: `a credential report: one row per key with its findings (${FINDINGS.join(', ')}); --fail-on exits 7 on a hit`,
      examples: [
        'accessctl key report',
        'accessctl -f csv key report --fail-on NO_EXPIRY,EXPIRING_7D,UNUSED_90D',
        '0 7 * * 1 accessctl -f csv key report | mail -s "accessctl keys" ops@example.com   # crontab',
      ],
    })
      .option('--service <ref>', 'only keys of this service')
      .option('--fail-on <findings>', `exit 7 when any key has one of these findings, comma-separated (${FINDINGS.join(', ')})`),
    (o) => runKeyReport({ service: o.service, failOn: o.failOn }, ctx),
  );
}
