// What `push` prints: the plan (calls grouped by action, bodies with secrets masked) and the
// summary line every run ends with.

import { canonical, masked } from './values.js';
import type { RunSummary } from './runner.js';

export function renderPlan(summary: RunSummary): string {
  const plan = summary.plan!;
  const lines: string[] = [];
  lines.push(
    `Plan for ${plan.job}: ${plan.calls.length} call(s) from ${plan.sourceRecords} source record(s); ` +
      `${summary.unchanged} unchanged, ${summary.skipped} already in place, ${summary.failed} bad, ${summary.unknown} waiting for --retry-unknown. Nothing was sent.`,
  );
  const byAction = new Map<string, typeof plan.calls>();
  for (const call of plan.calls) byAction.set(call.action, [...(byAction.get(call.action) ?? []), call]);
  for (const [action, calls] of byAction) {
    const first = calls[0]!;
    lines.push('', `${action}${first.inverse ? ' (mirror: undo records that left the source)' : ''}: ${calls.length} call(s), ${calls.reduce((n, c) => n + c.records.length, 0)} record(s)`);
    if (first.undocumented) lines.push(`  note: ${first.undocumented}`);
    if (first.oatRefused) lines.push(`  note: ${first.oatRefused}`);
    for (const call of calls) {
      lines.push(`  ${call.method} ${call.url}`);
      if (call.body !== undefined) lines.push(`    ${canonical(masked(call.body))}`);
    }
  }
  const skipped = plan.decisions.filter((d) => d.kind === 'in_place');
  if (skipped.length > 0) lines.push('', 'Already in place (not sent):', ...skipped.map((d) => `  ${d.key}: ${d.reason}`));
  const bad = plan.decisions.filter((d) => d.kind === 'bad');
  if (bad.length > 0) lines.push('', 'Bad records (not sent):', ...bad.map((d) => `  ${d.key}: ${d.reason}`));
  const unknown = plan.decisions.filter((d) => d.kind === 'unknown');
  if (unknown.length > 0) lines.push('', 'Waiting for --retry-unknown:', ...unknown.map((d) => `  ${d.key}: ${d.reason}`));
  if (summary.unresolved > 0) lines.push('', `${summary.unresolved} earlier call(s) without a known outcome; a run checks them first.`);
  for (const warning of plan.warnings) lines.push('', `warning: ${warning}`);
  if (plan.refused) lines.push('', `refused: ${plan.refused}`);
  else if (plan.removals > 0) lines.push('', `mirror: ${plan.removals} record(s) left the source and would be removed.`);
  return lines.join('\n');
}

export function renderSummary(summary: RunSummary): string {
  if (summary.heldBy) return `${summary.job}: not run; another process is running it (${summary.heldBy}).`;
  if (summary.refused) return [`${summary.job}: not run: ${summary.refused}`, ...summary.warnings.map((w) => `warning: ${w}`)].join('\n');
  const parts = [
    `${summary.job}: ${summary.calls} call(s) in ${(summary.durationMs / 1000).toFixed(1)}s`,
    `sent ${summary.sent}`,
    `skipped ${summary.skipped}`,
    `unchanged ${summary.unchanged}`,
    `failed ${summary.failed}`,
    `unknown ${summary.unknown}`,
  ];
  if (summary.confirmed > 0) parts.push(`confirmed ${summary.confirmed}`);
  if (summary.removed > 0) parts.push(`removed ${summary.removed}`);
  if (summary.validated > 0) parts.push(`validated ${summary.validated}`);
  const lines = [parts.join('; ') + '.'];
  if (summary.failures.length > 0) lines.push('', 'Failures:', ...summary.failures.map((f) => `  ${f.key} (${f.action}): ${f.error}`));
  for (const warning of summary.warnings) lines.push(`warning: ${warning}`);
  if (summary.unknown > 0) lines.push(`${summary.unknown} record(s) have an unknown outcome: check Docker Hub, then run \`dockerhub-sync push ${summary.job} --retry-unknown\`.`);
  return lines.join('\n');
}

/** A run needs attention: exit 1. */
export function runFailed(summary: RunSummary): boolean {
  return summary.failed > 0 || summary.unknown > 0 || summary.refused !== undefined;
}
