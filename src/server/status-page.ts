import type { JobState } from '../scheduler/scheduler.js';

/** A tiny HTML page at `/`: the jobs, their schedules and their last and next ticks. */

export interface StatusPageInput {
  version: string;
  startedAt: Date | null;
  database: string;
  jobs: JobState[];
  nextRun(job: string): Date | null;
  now: Date;
}

const escape = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const iso = (date: Date | null | undefined) => (date ? date.toISOString().replace(/\.\d{3}Z$/, 'Z') : '–');

export function renderStatusPage(input: StatusPageInput): string {
  const rows = input.jobs
    .map((state) => {
      const cells = [
        state.job.name,
        state.job.schedule,
        state.job.endpoints.join(', '),
        state.running ? `running since ${iso(state.running.since)}` : 'idle',
        state.lastCompleted ? `${iso(state.lastCompleted.at)} (${state.lastCompleted.outcome})` : 'not yet',
        iso(input.nextRun(state.job.name)),
        String(state.missedTicks),
      ];
      return `<tr>${cells.map((cell) => `<td>${escape(cell)}</td>`).join('')}</tr>`;
    })
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>dockerhub-sync</title>
<style>body{font:14px system-ui,sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}</style>
</head><body>
<h1>dockerhub-sync ${escape(input.version)}</h1>
<p>Serving since ${escape(iso(input.startedAt))}, database ${escape(input.database)}. Times are UTC; schedules are evaluated in UTC.
<a href="/readyz">/readyz</a> · <a href="/metrics">/metrics</a> · <a href="/healthz">/healthz</a></p>
<table><thead><tr><th>job</th><th>schedule</th><th>endpoints</th><th>state</th><th>last tick</th><th>next tick</th><th>missed ticks</th></tr></thead>
<tbody>
${rows}
</tbody></table>
<p>Per endpoint and slice: <code>dockerhub-sync status</code>.</p>
</body></html>
`;
}
