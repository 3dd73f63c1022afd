import type { Command } from 'commander';
import type { Ctx } from '../../context.js';
import { act, addNoun, addVerb } from '../../verb.js';
import { runDbBackup, runDbCheck, runDbPath } from './run.js';
import { runDbInit } from './init.js';
import { runDbMigrate } from './migrate.js';
import { runDbRestore } from './restore.js';
import { runDbGrant } from './grant.js';

export function registerDb(program: Command, ctx: Ctx): void {
  const noun = addNoun(program, 'db', 'the store file: where it is, is it sound, copy it');
  act(ctx, 'dbPath', addVerb(noun, 'path', { description: 'print the store file path (never creates it)', examples: ['accessctl db path', 'accessctl -s BlackSnake -q db path'] }), () =>
    runDbPath(ctx),
  false);
  act(
    ctx,
    'dbPath',
    addVerb(noun, 'init', {
      description: 'create the store (a file, or the schema in an empty PostgreSQL database) if it does not exist (idempotent); prints its path',
      examples: [
        'accessctl db init',
        "accessctl --db 'postgres://accessctl@db.internal:5432/accessctl' db init   # the schema in an empty database",
        'ACCESSCTL_HOME=/var/lib/accessctl accessctl -q db init',
        'accessctl -s sandbox db init --allow-clock-override   # a test store: ACCESSCTL_NOW may move its clock',
      ],
    }).option('--allow-clock-override', 'also set clock.allowOverride true (test and sandbox stores only; audited)'),
    (o: { allowClockOverride?: boolean }) => runDbInit(ctx, Boolean(o.allowClockOverride)),
  );
  act(
    ctx,
    'dbCheck',
    addVerb(noun, 'check', { description: 'check integrity, schema version, the audit chain, and that replaying the log rebuilds the tables exactly (exit 6 naming each difference)', examples: ['accessctl db check', 'accessctl -f json db check'] }),
    () => runDbCheck(ctx),
  );
  act(
    ctx,
    'dbCheck',
    addVerb(noun, 'migrate', {
      description: 'bring a store of an older schema up to this version (reads never migrate; the first write also does); idempotent',
      examples: ['accessctl db backup /var/backups/before-upgrade.db && accessctl db migrate'],
    }),
    () => runDbMigrate(ctx),
  );
  act(
    ctx,
    'dbCheck',
    addVerb(noun, 'grant', {
      description: 'PostgreSQL: print (or --apply) the grants of a reader (SELECT only) or a writer role; the audit log stays append-only',
      examples: ['accessctl db grant --reader accessctl_gate', 'accessctl db grant --writer accessctl_ops --apply'],
    })
      .option('--reader <role>', 'auditors, gates, access check --batch: SELECT only')
      .option('--writer <role>', 'operators, cron: what mutations need; audit_events INSERT and SELECT only')
      .option('--apply', 'run the statements (as the owner) instead of printing them only'),
    (o: { reader?: string; writer?: string; apply?: boolean }) => runDbGrant(ctx, o),
  );
  act(
    ctx,
    'backup',
    addVerb(noun, 'backup', {
      description: 'write a consistent copy of the store while it is in use',
      examples: ['accessctl db backup /var/backups/accessctl-$(date +%F).db'],
    }).argument('<file>', 'new file to write (never overwritten)'),
    (_o, args) => runDbBackup(args[0]!, ctx),
  );
  act(
    ctx,
    'dbCheck',
    addVerb(noun, 'restore', {
      description: 'put a backup in place as the store: the old store, -wal and -shm renamed aside, the result checked',
      examples: ['accessctl db restore /var/backups/accessctl-2026-12-01.db', 'accessctl -s staging db restore staging-copy.db'],
    }).argument('<file>', 'a backup written by accessctl db backup'),
    (_o, args) => runDbRestore(args[0]!, ctx),
    false,
  );
}
