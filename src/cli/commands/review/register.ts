import type { Command } from 'commander';
import { UsageError } from '../../../domain/errors.js';
import { parseDecision } from '../../../domain/reviews.js';
import type { Ctx } from '../../context.js';
import { confirmDestructive } from '../../confirm.js';
import { act, addNoun, addVerb } from '../../verb.js';
import { runReviewClose } from './close.js';
import { runReviewDecide } from './decide.js';
import { runReviewExport, runReviewList, runReviewShow } from './list.js';
import { runReviewStart } from './start.js';

interface ReviewFlags {
  id?: string[];
  group?: string;
  resource?: string;
  all?: boolean;
  name?: string;
  reviewers?: string;
  due?: string;
  keep?: boolean;
  revoke?: boolean;
  reason?: string;
  file?: string;
  default?: string;
  open?: boolean;
  overdue?: boolean;
  failIfAny?: boolean;
}

function one(ids: string[] | undefined): string {
  if (!ids || ids.length === 0) throw new UsageError('which review?', 'pass a review id (rev_…); see accessctl review list');
  if (ids.length > 1) throw new UsageError('one review at a time', 'pass a single review id');
  return ids[0]!;
}

export function registerReview(program: Command, ctx: Ctx): void {
  const noun = addNoun(program, 'review', 'access reviews: freeze who has access, decide, close, export the evidence');

  act<ReviewFlags>(
    ctx,
    'review',
    addVerb(noun, 'start', {
      description: 'freeze the grants in scope as a review to decide',
      examples: [
        'accessctl review start -g prod-db --due 14d',
        'accessctl review start -r prod-db-1 --reviewers security',
        'accessctl review start --all --name "2026 Q4 access review"',
      ],
    })
      .option('-g, --group <ref>', 'the memberships of this group')
      .option('-r, --resource <ref>', 'every grant that gives this resource')
      .option('--all', 'every grant in the store')
      .option('--name <text>', 'what to call it (default: what it covers)')
      .option('--reviewers <group>', 'only started, unexpired members of this group decide')
      .option('--due <when>', 'a duration from now (14d) or a time (RFC 3339)'),
    (o) => runReviewStart({ group: o.group, resource: o.resource, all: o.all, name: o.name, reviewers: o.reviewers, due: o.due }, ctx),
  );

  act<ReviewFlags>(
    ctx,
    'review',
    addVerb(noun, 'list', {
      description: 'list reviews, oldest first',
      examples: ['accessctl review list --open', 'accessctl review list --overdue --fail-if-any   # cron, CI'],
    })
      .option('--open', 'only reviews not closed yet')
      .option('--overdue', 'only open reviews past their due time')
      .option('--fail-if-any', 'exit 7 when the list is not empty'),
    (o) => runReviewList({ open: o.open, overdue: o.overdue, failIfAny: o.failIfAny }, ctx),
  );

  // --columns picks the items' columns: they are the list `show` prints.
  act<ReviewFlags>(
    ctx,
    'reviewItem',
    addVerb(noun, 'show', {
      description: 'show a review and its items with their decisions',
      examples: ['accessctl review show rev_8J2kP0qLm3Xc9ZaB', 'accessctl -f json review show rev_8J2kP0qLm3Xc9ZaB'],
    }),
    (o) => runReviewShow(one(o.id), ctx),
  );

  act<ReviewFlags>(
    ctx,
    'review',
    addVerb(noun, 'decide', {
      description: 'keep or revoke items of an open review',
      examples: [
        'accessctl review decide rev_8J2kP0qLm3Xc9ZaB 1,4-9 --keep',
        'accessctl review decide rev_8J2kP0qLm3Xc9ZaB 3 --revoke --reason left',
        'accessctl review decide rev_8J2kP0qLm3Xc9ZaB --file decisions.csv',
      ],
    })
      .argument('<review>', 'the review id')
      .argument('[items]', 'item numbers: 1,4-9')
      .option('--keep', 'the items keep their access')
      .option('--revoke', 'the items lose their access at close')
      .option('--reason <text>', 'why')
      .option('--file <csv>', 'decisions as item,decision,reason (- for stdin)'),
    (o, args) => runReviewDecide({ review: args[0]!, items: args[1], keep: o.keep, revoke: o.revoke, reason: o.reason, file: o.file }, ctx),
  );

  act<ReviewFlags>(
    ctx,
    'review',
    addVerb(noun, 'close', {
      description: 'close a review: revoked grants still as frozen are removed',
      examples: ['accessctl review close rev_8J2kP0qLm3Xc9ZaB', 'accessctl review close rev_8J2kP0qLm3Xc9ZaB --default keep -y'],
    })
      .argument('<review>', 'the review id')
      .option('--default <decision>', 'what undecided items become: keep or revoke'),
    async (o, args) => {
      const ref = args[0]!;
      const d = o.default === undefined ? undefined : parseDecision(o.default);
      if (o.default !== undefined && !d) throw new UsageError(`--default ${JSON.stringify(o.default.slice(0, 40))} is not keep or revoke`, 'pass --default keep or --default revoke');
      await confirmDestructive(ctx, `Close review ${ref} and remove the grants it revokes?`);
      return runReviewClose(ref, d, ctx);
    },
  );

  act<ReviewFlags>(
    ctx,
    'reviewExport',
    addVerb(noun, 'export', {
      description: 'the evidence: every item and decision, tied to the audit chain',
      examples: ['accessctl review export rev_8J2kP0qLm3Xc9ZaB -f csv > q4-review.csv', 'accessctl review export rev_8J2kP0qLm3Xc9ZaB -f json'],
    }).argument('<review>', 'the review id'),
    (o, args) => runReviewExport(args[0]!, ctx),
  );
}
