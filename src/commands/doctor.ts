import { buildRegistry } from '../custom/registry.js';
import { renderTable } from '../format.js';
import type { CommandContext } from './context.js';
import { createRun, doctorPlan, probeAll, type DoctorFindings } from './doctor-probe.js';
import { hubClientsFromConfig } from './hub.js';

/**
 * `doctor`: logs in with each configured credential and makes the cheapest request (one item) of
 * every endpoint it is configured to serve, per namespace or organization, then says what each
 * credential can read and, for a refusal, which scope or role it lacks. It opens no database and
 * writes nothing. Exit 1 when a configured endpoint cannot be read.
 */
export interface DoctorReport extends DoctorFindings {
  ok: boolean;
  /** HTTP requests sent to Docker Hub, logins included. */
  requests: number;
  logins: number;
}

export async function runDoctor(ctx: CommandContext): Promise<DoctorReport> {
  const registry = buildRegistry(ctx.config);
  // No cache and no retries of a refusal: one request per endpoint and namespace.
  const clients = hubClientsFromConfig(ctx.config, ctx.env, ctx.logger);
  try {
    const run = createRun(ctx.config, clients, registry);
    const plan = await doctorPlan(run);
    const findings = await probeAll(run, plan, { clients, logger: ctx.logger, config: ctx.config, registry });
    const stats = clients.stats();
    return { ...findings, ok: !findings.rows.some((row) => row.fails), requests: stats.requests, logins: stats.logins };
  } finally {
    await clients.close();
  }
}

export function renderDoctor(report: DoctorReport): string {
  const table = renderTable(
    ['credential', 'namespace', 'endpoint', 'result', 'missing', 'detail'],
    report.rows.map((row) => [row.credential, row.scope || '-', row.endpoint, row.result, row.missing ?? '', row.detail ?? '']),
  );
  const failing = report.rows.filter((row) => row.fails).length;
  return [
    table,
    ...(report.warnings.length > 0 ? ['', 'Warnings:', ...report.warnings.map((w) => `  ${w.credential} ${w.scope} ${w.endpoint}: ${w.message}`)] : []),
    '',
    `${report.rows.length} check(s), ${failing} cannot be read; ${report.requests} request(s) to Docker Hub (${report.logins} login(s)). Nothing was written.`,
  ].join('\n');
}

export async function doctorCommand(ctx: CommandContext, options: { json: boolean }): Promise<number> {
  const report = await runDoctor(ctx);
  ctx.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : `${renderDoctor(report)}\n`);
  return report.ok ? 0 : 1;
}
