import type { Command } from 'commander';
import type { Ctx } from '../../context.js';
import { confirmDestructive } from '../../confirm.js';
import { nonNegativeIntArg, requireList, single } from '../../options.js';
import { act, addNoun, addVerb, itemsOption } from '../../verb.js';
import { promptMissing } from '../../prompt-missing.js';
import { validateEmail } from '../../../domain/validate.js';
import { runUserCreate, runUserDelete, runUserList, runUserSetState, runUserShow, runUserUpdate } from './run.js';
import { runUserImport } from './import.js';
import { runUserSync } from './sync.js';

interface UserFlags {
  email?: string;
  first?: string;
  last?: string;
  role?: string;
  state?: string;
  search?: string;
  id?: string[];
  ifNotExists?: boolean;
  ignoreNotFound?: boolean;
  /** --login NAME, or false for --no-login. */
  login?: string | false;
}

export function registerUser(program: Command, ctx: Ctx): void {
  const noun = addNoun(program, 'user', 'people: create, list, show, update, enable/disable, delete, import, sync');

  act<UserFlags>(
    ctx,
    'user',
    addVerb(noun, 'create', {
      description: 'create a user',
      examples: [
        'accessctl user create -e ada@example.com --first Ada --last Lovelace --role DEVOPS',
        'accessctl -q user create -e bob@example.com',
        'accessctl user create -e ada@example.com --if-not-exists   # re-runnable',
      ],
    })
      .option('-e, --email <email>', 'email address (unique)')
      .option('--first <name>', 'first name')
      .option('--last <name>', 'last name')
      .option('--role <role>', 'ADMIN, DEVOPS, SUPPORT or MEMBER', 'MEMBER')
      .option('--if-not-exists', 'if a user has this email, print it and change nothing (exit 0)'),
    async (o) => {
      const email = o.email ?? (await promptMissing(ctx, 'email', '-e EMAIL', 'Email of the new user', validateEmail));
      return runUserCreate({ email, firstName: o.first, lastName: o.last, role: o.role, ifNotExists: o.ifNotExists }, ctx);
    },
  );

  act<UserFlags>(
    ctx,
    'user',
    addVerb(noun, 'list', {
      description: 'list users',
      examples: ['accessctl user list', 'accessctl -f csv user list --state DISABLED', 'accessctl user list --role ADMIN --search lovelace'],
    })
      .option('--state <state>', 'ACTIVE or DISABLED')
      .option('--role <role>', 'ADMIN, DEVOPS, SUPPORT or MEMBER')
      .option('--search <text>', 'part of the email or name'),
    (o) => runUserList({ state: o.state, role: o.role, search: o.search }, ctx),
  );

  act<UserFlags>(
    ctx,
    'user',
    addVerb(noun, 'show', {
      description: 'show users by id or email',
      examples: ['accessctl user show ada@example.com', 'accessctl user show -i ada@example.com', 'accessctl -f json user show -i usr_8J2kP0qLm3Xc9ZaB'],
    }).addOption(itemsOption('user id or email')),
    (o) => runUserShow(requireList('user', o.id, '-i USER'), ctx),
  );

  act<UserFlags>(
    ctx,
    'user',
    addVerb(noun, 'update', {
      description: 'change a user’s email, name, role or login',
      examples: [
        'accessctl user update -i ada@example.com --role ADMIN',
        'accessctl user update -i usr_8J2kP0qLm3Xc9ZaB --last Byron',
        'accessctl user update ada@example.com --login ada   # who she acts as',
        'accessctl user update ada@example.com --no-login',
      ],
    })
      .addOption(itemsOption('user id or email'))
      .option('-e, --email <email>', 'new email')
      .option('--first <name>', 'new first name')
      .option('--last <name>', 'new last name')
      .option('--role <role>', 'new role')
      .option('--login <name>', 'link the OS user or PostgreSQL role this person acts as (unique; requests)')
      .option('--no-login', 'unlink the user’s login'),
    (o) =>
      runUserUpdate(
        { ref: single(o.id, '-i USER'), email: o.email, firstName: o.first, lastName: o.last, role: o.role, login: o.login === false ? null : o.login },
        ctx,
      ),
  );

  for (const [verb, state] of [
    ['enable', 'ACTIVE'],
    ['disable', 'DISABLED'],
  ] as const) {
    act<UserFlags>(
      ctx,
      'user',
      addVerb(noun, verb, {
        description: `${verb} users (a disabled user reaches nothing)`,
        examples: [`accessctl user ${verb} -i ada@example.com`, `accessctl -y user ${verb} -i ada@example.com,bob@example.com`],
      }).addOption(itemsOption('user ids or emails')),
      async (o) => {
        const refs = requireList('user', o.id, '-i USER');
        if (state === 'DISABLED') await confirmDestructive(ctx, `Disable ${refs.length} user(s): ${refs.join(', ')}?`);
        return runUserSetState(refs, state, ctx);
      },
    );
  }

  act<UserFlags>(
    ctx,
    'user',
    addVerb(noun, 'delete', {
      description: 'delete users and their memberships',
      examples: [
        'accessctl user delete -i ada@example.com',
        'accessctl -y user delete -i usr_8J2kP0qLm3Xc9ZaB,usr_Q1w2E3r4T5y6U7i8',
        'accessctl -y user delete ada@example.com --ignore-not-found',
      ],
    })
      .addOption(itemsOption('user ids or emails'))
      .option('--ignore-not-found', 'exit 0 for users that do not exist (idempotent scripts)'),
    async (o) => {
      const refs = requireList('user', o.id, '-i USER');
      await confirmDestructive(ctx, `Delete ${refs.length} user(s): ${refs.join(', ')}?`);
      return runUserDelete(refs, ctx, Boolean(o.ignoreNotFound));
    },
  );

  act<{ dryRun?: boolean; from?: string; map?: string }>(
    ctx,
    'importChange',
    addVerb(noun, 'import', {
      description: 'create or update users from CSV (email,firstName,lastName,role,state, or a provider export); all rows or none',
      examples: [
        'accessctl user import examples/onboarding-users.csv',
        'accessctl user import --dry-run examples/onboarding-users.csv',
        'generate-users | accessctl -f csv user import -',
        'accessctl user import --from okta okta-users.csv',
        'accessctl user import --map "Work Email=email,Given=firstName,Family=lastName" hr.csv',
      ],
    })
      .argument('<file>', 'CSV file with a header row, or - for stdin')
      .option('--from <provider>', "the file is a provider's user export: okta, entra or google (users become SYNCED)")
      .option('--map <columns>', 'COLUMN=field,… for any other layout or over a preset; fields: email, login, firstName, lastName, role, state')
      .option('--dry-run', 'show what would change; change nothing'),
    (o, args) => runUserImport(args[0]!, o, ctx),
  );

  act<{ dryRun?: boolean; from?: string; map?: string; maxDisable?: number }>(
    ctx,
    'importChange',
    addVerb(noun, 'sync', {
      description: 'make SYNCED users match a directory export: create, update, disable the missing (never delete)',
      examples: [
        'accessctl user sync --from okta okta-users.csv',
        'accessctl user sync --from entra --dry-run users.csv',
        'accessctl -f json user sync --from google --max-disable 25 users.csv',
      ],
    })
      .argument('<file>', 'the whole directory as CSV, or - for stdin')
      .option('--from <provider>', "the file is a provider's user export: okta, entra or google")
      .option('--map <columns>', 'COLUMN=field,… for any other layout or over a preset; fields: email, login, firstName, lastName, role, state')
      .option('--max-disable <n>', 'refuse (exit 4, nothing changed) to disable more than N users (default 10)', nonNegativeIntArg)
      .option('--dry-run', 'show what would change; change nothing'),
    (o, args) => runUserSync(args[0]!, o, ctx),
  );
}
