import { Option, type Command } from 'commander';
import { UsageError } from '../../../domain/errors.js';
import { KEY_STATUSES } from '../../../domain/key-lifecycle.js';
import type { Ctx } from '../../context.js';
import { confirmDestructive } from '../../confirm.js';
import { durationArg, expirationDaysArg, requireList, single } from '../../options.js';
import { act, addNoun, addVerb, itemsOption } from '../../verb.js';
import type { TokenSource } from './authenticate.js';
import { chooseExpiration, chooseService } from './prompts.js';
import { runKeyCreate, runKeyDelete, runKeyExchange, runKeyList, runKeyRename, runKeyRevoke, runKeyRotate, runKeyShow, runKeyVerify } from './run.js';

interface KeyFlags {
  id?: string[];
  service?: string;
  name?: string;
  expiration?: number;
  status?: string;
  expiringWithin?: number;
  overlap?: number;
  ttl?: number;
  tokenFile?: string;
  tokenStdin?: boolean;
}

export const tokenFileOption = () => new Option('--token-file <path>', 'read the token from this file instead of stdin');
export const tokenStdinOption = () => new Option('--token-stdin', 'read the token from stdin (the default)');
export const tokenSource = (o: { tokenFile?: string }): TokenSource => (o.tokenFile === undefined ? { stdin: true } : { file: o.tokenFile });
const expirationOption = () => new Option('-e, --expiration <days>', 'days until the key expires; 0 = never (default: config key.defaultExpirationDays)').argParser(expirationDaysArg);

export function registerKey(program: Command, ctx: Ctx): void {
  const noun = addNoun(program, 'key', 'service keys: create, rotate, revoke; tokens printed once');

  act<KeyFlags>(
    ctx,
    'newKey',
    addVerb(noun, 'create', {
      description: 'issue a key for a service; its token is printed once, now',
      examples: ['accessctl key create -i ci-pipeline -n github-actions -e 90', 'TOKEN=$(accessctl -q key create -i ci-pipeline -e 0)'],
    })
      .addOption(itemsOption('service id or name'))
      .option('-n, --name <name>', 'key name, unique within the service (default key-N)')
      .addOption(expirationOption()),
    async (o) => {
      const service = o.id === undefined ? await chooseService(ctx) : single(o.id, '-i SERVICE');
      const expirationDays = o.expiration ?? (o.id === undefined ? await chooseExpiration(ctx) : undefined);
      return runKeyCreate({ service, name: o.name, expirationDays }, ctx);
    },
  );

  act<KeyFlags>(
    ctx,
    'key',
    addVerb(noun, 'list', {
      description: 'list keys (never their tokens)',
      examples: ['accessctl key list --service ci-pipeline', 'accessctl key list --status ACTIVE --expiring-within 14d', 'accessctl -f csv key list --status REVOKED'],
    })
      .option('--service <ref>', 'only keys of this service')
      .addOption(new Option('--status <status>', 'ACTIVE, REVOKED or EXPIRED').choices([...KEY_STATUSES, ...KEY_STATUSES.map((s) => s.toLowerCase())]))
      .addOption(new Option('--expiring-within <duration>', 'only ACTIVE keys expiring within this long').argParser(durationArg)),
    (o) => runKeyList({ service: o.service, status: o.status, expiringWithin: o.expiringWithin }, ctx),
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
      examples: ['accessctl key delete -i key_8J2kP0qLm3Xc9ZaB'],
    }).addOption(itemsOption('key ids')),
    async (o) => {
      const refs = requireList('key', o.id, '-i KEY');
      await confirmDestructive(ctx, `Delete ${refs.length} key(s): ${refs.join(', ')}?`);
      return runKeyDelete(refs, ctx);
    },
  );

  act<KeyFlags>(
    ctx,
    'newKey',
    addVerb(noun, 'rotate', {
      description: 'issue a replacement key; the old one is revoked now, or expires after --overlap',
      examples: ['accessctl key rotate -i key_8J2kP0qLm3Xc9ZaB', 'NEW=$(accessctl -q key rotate -i key_8J2kP0qLm3Xc9ZaB --overlap 1h)'],
    })
      .addOption(itemsOption('key id'))
      .addOption(new Option('--overlap <duration>', 'keep the old key valid this much longer (never past its own expiry)').argParser(durationArg))
      .option('-n, --name <name>', 'name of the new key')
      .addOption(expirationOption()),
    async (o) => {
      const ref = single(o.id, '-i KEY');
      await confirmDestructive(ctx, o.overlap === undefined ? `Rotate ${ref}? The old key is revoked at once.` : `Rotate ${ref}? The old key stops working within the overlap.`);
      return runKeyRotate({ ref, overlap: o.overlap, name: o.name, expirationDays: o.expiration }, ctx);
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
}
