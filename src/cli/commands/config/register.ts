import type { Command } from 'commander';
import { SETTING_NAMES } from '../../../domain/settings.js';
import type { Ctx } from '../../context.js';
import { act, addNoun, addVerb } from '../../verb.js';
import { runConfigGet, runConfigList, runConfigSet } from './run.js';

export function registerConfig(program: Command, ctx: Ctx): void {
  const noun = addNoun(program, 'config', `settings: ${SETTING_NAMES.join(', ')}`);
  act(ctx, 'setting', addVerb(noun, 'list', { description: 'list every setting with its default', examples: ['accessctl config list'] }), () => runConfigList(ctx));
  act(
    ctx,
    'setting',
    addVerb(noun, 'get', { description: 'print one setting', examples: ['accessctl -q config get key.defaultExpirationDays'] }).argument('<key>', SETTING_NAMES.join(' | ')),
    (_o, args) => runConfigGet(args[0]!, ctx),
  );
  act(
    ctx,
    'setting',
    addVerb(noun, 'set', {
      description: 'change a setting (validated, audited)',
      examples: [
        'accessctl config set key.defaultExpirationDays 90',
        'accessctl config set key.maxActivePerService 3',
        'accessctl config set token.defaultTtl 30m',
        'accessctl -s sandbox config set clock.allowOverride true   # a test store lets ACCESSCTL_NOW move its clock',
      ],
    })
      .argument('<key>', SETTING_NAMES.join(' | '))
      .argument('<value>', 'the new value'),
    (_o, args) => runConfigSet(args[0]!, args[1]!, ctx),
  );
}
