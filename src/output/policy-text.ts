/** A request policy as `describePolicy` gives it, in one line for people (group show, plan). */
export function policyText(v: unknown): string {
  if (v === null || v === undefined || typeof v !== 'object') return 'not requestable';
  const p = v as { approvers: string; approvals: number; maxDuration: string; pendingTtl: string; requireReason: boolean; breakGlass: boolean };
  return [
    `approvers ${p.approvers}`,
    `${p.approvals} approval${p.approvals === 1 ? '' : 's'}`,
    `up to ${p.maxDuration}`,
    `pending ${p.pendingTtl}`,
    p.requireReason ? 'reason required' : 'no reason required',
    p.breakGlass ? 'break-glass' : 'no break-glass',
  ].join(', ');
}
