import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseEnv } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { COMMANDS } from '../../src/cli.js';
import { ENV_MAP, loadConfig, parseDuration } from '../../src/config.js';

/**
 * No Docker engine runs where the tests run, so the deploy files are checked statically: they
 * parse, everything they reference exists, every variable is provided, and the image follows
 * the rules (current LTS, non-root, healthcheck with node, migrations copied). Whether every
 * dashboard query runs is checked against a database in test/integration/dashboards.test.ts.
 */

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');

type Json = Record<string, any>;
const compose = parseYaml(read('docker-compose.yml')) as Json;
const services = compose.services as Record<string, Json>;
const envExample = parseEnv(read('.env.example')) as Record<string, string>;

/** `${NAME}`, `${NAME:-default}`, `${NAME:?error}` and `$NAME` references in a text ($$ is a literal $). */
function variables(text: string): { name: string; hasDefault: boolean }[] {
  const out: { name: string; hasDefault: boolean }[] = [];
  const cleaned = text.replaceAll('$$', '');
  for (const match of cleaned.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)(:?[-?])?[^}]*\}|\$([A-Za-z_][A-Za-z0-9_]*)/g)) {
    out.push({ name: (match[1] ?? match[3])!, hasDefault: match[2] === ':-' || match[2] === '-' });
  }
  return out;
}

/** Host-path → container-path pairs of a service's bind mounts (short syntax). */
function bindMounts(service: Json): { source: string; target: string }[] {
  return ((service.volumes ?? []) as string[])
    .map((spec) => spec.split(':'))
    .filter(([source]) => source!.startsWith('.') || source!.startsWith('/'))
    .map(([source, target]) => ({ source: source!, target: target! }));
}

describe('docker-compose.yml', () => {
  it('has Postgres, the service and Grafana, and every reference points at something that exists', () => {
    expect(Object.keys(services).sort()).toEqual(['dockerhub-sync', 'grafana', 'postgres']);
    for (const [name, service] of Object.entries(services)) {
      const dependsOn = Array.isArray(service.depends_on) ? service.depends_on : Object.keys(service.depends_on ?? {});
      for (const other of dependsOn) expect(Object.keys(services), `${name} depends on ${other}`).toContain(other);
      for (const spec of (service.volumes ?? []) as string[]) {
        const [source] = spec.split(':');
        if (source!.startsWith('.') || source!.startsWith('/')) {
          expect(existsSync(path.join(ROOT, source!)), `${name} mounts ${source}`).toBe(true);
        } else {
          expect(Object.keys(compose.volumes ?? {}), `${name} uses volume ${source}`).toContain(source);
        }
      }
    }
    const used = Object.values(services).flatMap((s) => ((s.volumes ?? []) as string[]).map((v) => v.split(':')[0]));
    for (const declared of Object.keys(compose.volumes ?? {})) expect(used, `volume ${declared} is used`).toContain(declared);
  });

  it('keeps Postgres data in a named volume and waits for it to be healthy', () => {
    expect(services.postgres!.volumes).toContain('pgdata:/var/lib/postgresql/data');
    expect(services.postgres!.healthcheck?.test).toBeDefined();
    for (const name of ['dockerhub-sync', 'grafana']) {
      expect(services[name]!.depends_on?.postgres?.condition, name).toBe('service_healthy');
    }
  });

  it('builds the service from this Dockerfile and reaches Postgres by service name', () => {
    const app = services['dockerhub-sync']!;
    expect(app.build).toBe('.');
    expect(String(app.environment.DATABASE_URL)).toMatch(/^postgres:\/\/.+@postgres:5432\//);
    expect(existsSync(path.join(ROOT, 'Dockerfile'))).toBe(true);
  });

  it('gives the service only variables it reads, and none of the admin passwords', () => {
    const app = services['dockerhub-sync']!;
    // .env holds the Postgres superuser's and Grafana's passwords: no env_file for the service.
    expect(app.env_file).toBeUndefined();
    for (const name of Object.keys(app.environment)) expect(ENV_MAP, `${name} is read by the service`).toHaveProperty(name);
    const used = variables(JSON.stringify(app)).map((v) => v.name);
    for (const secret of ['POSTGRES_PASSWORD', 'POSTGRES_USER', 'GRAFANA_ADMIN_PASSWORD', 'GRAFANA_ADMIN_USER', 'GRAFANA_DB_PASSWORD']) {
      expect(used, `the service must not receive ${secret}`).not.toContain(secret);
    }
    // It connects as the owner role the init script creates, not as the superuser.
    expect(String(app.environment.DATABASE_URL)).toMatch(/^postgres:\/\/\$\{DOCKERHUB_SYNC_DB_USER:-dockerhub_sync\}:\$\{DOCKERHUB_SYNC_DB_PASSWORD:\?[^}]*\}@postgres:5432\//);
    // Every Docker Hub setting of .env.example reaches it.
    for (const name of Object.keys(envExample).filter((n) => n.startsWith('DOCKERHUB_') && n in ENV_MAP)) {
      expect(Object.keys(app.environment), `${name} from .env.example`).toContain(name);
    }
  });

  it('creates the service owner at init as a plain login that owns the database, and the reader role by its configured name', () => {
    const owner = read('deploy/postgres/initdb/05-service-owner.sh');
    expect(owner).toMatch(/CREATE ROLE :"owner" LOGIN NOSUPERUSER NOCREATEROLE NOCREATEDB PASSWORD :'password';/);
    expect(owner).toContain('ALTER DATABASE :"db" OWNER TO :"owner";');
    const reader = read('deploy/postgres/initdb/10-grafana-reader.sh');
    expect(reader).toContain('--set=reader="${DATABASE_READER_ROLE:-dockerhub_reader}"');
    expect(reader).toContain('IN ROLE :"reader"');
    // The owner's script runs first (initdb runs the files in name order).
    expect(readdirSync(path.join(ROOT, 'deploy/postgres/initdb')).sort()).toEqual(['05-service-owner.sh', '10-grafana-reader.sh']);
  });

  it('can run several replicas: a replica count, and no fixed host port for them to fight over', () => {
    const app = services['dockerhub-sync']!;
    expect(String(app.deploy?.replicas)).toMatch(/^\$\{DOCKERHUB_SYNC_REPLICAS:-1\}$|^\d+$/);
    expect(app.container_name).toBeUndefined();
    for (const port of (app.ports ?? []) as string[]) {
      const host = port.split(':').slice(0, -1).join(':');
      expect(host, `port ${port} must be a range so replicas get one each`).toMatch(/\d+-\d+$/);
    }
  });

  it('gets every variable it uses from .env.example or a default, and .env.example ships no secrets', () => {
    for (const { name, hasDefault } of variables(read('docker-compose.yml'))) {
      if (!hasDefault) expect(Object.keys(envExample), `${name} is used by docker-compose.yml`).toContain(name);
    }
    const composeNames = new Set(variables(read('docker-compose.yml')).map((v) => v.name));
    for (const [name, value] of Object.entries(envExample)) {
      expect(name in ENV_MAP || composeNames.has(name), `${name} in .env.example is read by the service or by compose`).toBe(true);
      if (/TOKEN|PASSWORD|SECRET|JWT|OTP/.test(name)) expect(value, `${name} must be empty in .env.example`).toBe('');
    }
    // The service accepts the example as it is (empty values count as unset).
    expect(() => loadConfig({ env: envExample })).not.toThrow();
  });

  it('passes Grafana exactly the variables its provisioning files use, and Postgres those of its init script', () => {
    const grafanaEnv = Object.keys(services.grafana!.environment);
    const provisioning = path.join(ROOT, 'deploy/grafana/provisioning');
    for (const dir of readdirSync(provisioning)) {
      for (const file of readdirSync(path.join(provisioning, dir))) {
        for (const { name } of variables(readFileSync(path.join(provisioning, dir, file), 'utf8'))) {
          expect(grafanaEnv, `${dir}/${file} uses ${name}`).toContain(name);
        }
      }
    }
    const postgresEnv = Object.keys(services.postgres!.environment);
    const initDir = path.join(ROOT, 'deploy/postgres/initdb');
    const init = readdirSync(initDir).map((file) => readFileSync(path.join(initDir, file), 'utf8')).join('\n');
    const fromInit = new Set(variables(init).map((v) => v.name));
    for (const name of fromInit) expect(postgresEnv, `an init script uses ${name}`).toContain(name);
    for (const name of ['POSTGRES_USER', 'POSTGRES_DB', 'DOCKERHUB_SYNC_DB_USER', 'DOCKERHUB_SYNC_DB_PASSWORD', 'DATABASE_READER_ROLE', 'GRAFANA_DB_USER', 'GRAFANA_DB_PASSWORD']) {
      expect(fromInit, name).toContain(name);
    }
  });
});

describe('deploy/image.env.example: the image on its own', () => {
  const imageEnv = parseEnv(read('deploy/image.env.example')) as Record<string, string>;

  it('holds only variables the service reads, none of the admin passwords, and no secret values', () => {
    expect(Object.keys(imageEnv).length).toBeGreaterThan(0);
    for (const [name, value] of Object.entries(imageEnv)) {
      expect(ENV_MAP, `${name} is read by the service`).toHaveProperty(name);
      if (/TOKEN|PASSWORD|SECRET|JWT|OTP|DATABASE_URL/.test(name)) expect(value, `${name} must be empty`).toBe('');
    }
    for (const name of ['POSTGRES_PASSWORD', 'POSTGRES_USER', 'GRAFANA_ADMIN_PASSWORD', 'GRAFANA_DB_PASSWORD', 'DOCKERHUB_SYNC_DB_PASSWORD']) {
      expect(imageEnv, name).not.toHaveProperty(name);
    }
    for (const name of ['DOCKERHUB_USERNAME', 'DOCKERHUB_TOKEN', 'DOCKERHUB_NAMESPACES', 'DATABASE_URL']) expect(imageEnv).toHaveProperty(name);
    expect(() => loadConfig({ env: imageEnv })).not.toThrow();
    expect(read('.gitignore').split('\n')).toContain('deploy/image.env');
  });

  it('is what the README, the docs and the Dockerfile hand to `docker run`, never the compose .env', () => {
    const docs = ['README.md', ...readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)].map(read).join('\n');
    const runs = [...`${docs}\n${read('Dockerfile')}`.matchAll(/docker run [^\n`]*--env-file (\S+)/g)].map((m) => m[1]);
    expect(runs.length).toBeGreaterThan(0);
    for (const file of runs) expect(file).toBe('deploy/image.env');
  });
});

describe('package.json', () => {
  const pkg = JSON.parse(read('package.json')) as Json;

  it('ships no TypeScript runner: tsx is a dev dependency, and nothing the package runs imports it', () => {
    expect(pkg.dependencies).not.toHaveProperty('tsx');
    expect(pkg.devDependencies).toHaveProperty('tsx');
    const shipped = (dir: string): string[] =>
      readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? shipped(path.join(dir, e.name)) : [path.join(dir, e.name)]));
    for (const file of [...shipped('src'), ...shipped('bin')]) {
      expect(read(file), file).not.toMatch(/from ['"]tsx|import\(['"]tsx|require\(['"]tsx|--import[= ]tsx/);
    }
  });
});

describe('Grafana provisioning', () => {
  const grafana = services.grafana!;
  const mountTarget = (source: string) => bindMounts(grafana).find((m) => path.normalize(m.source) === path.normalize(source))?.target;
  const datasourceFiles = readdirSync(path.join(ROOT, 'deploy/grafana/provisioning/datasources')).filter((f) => /\.ya?ml$/.test(f));
  const datasources = datasourceFiles.flatMap((f) => (parseYaml(read(`deploy/grafana/provisioning/datasources/${f}`)) as Json).datasources as Json[]);
  const dashboardFiles = readdirSync(path.join(ROOT, 'deploy/grafana/dashboards')).filter((f) => f.endsWith('.json'));

  it('mounts the provisioning folder where Grafana reads it', () => {
    expect(mountTarget('./deploy/grafana/provisioning')).toBe('/etc/grafana/provisioning');
    expect(statSync(path.join(ROOT, 'deploy/grafana/provisioning/datasources')).isDirectory()).toBe(true);
    expect(statSync(path.join(ROOT, 'deploy/grafana/provisioning/dashboards')).isDirectory()).toBe(true);
  });

  it('provisions a Postgres data source that logs in as the read-only login, not the owner', () => {
    expect(datasources).toHaveLength(1);
    const [source] = datasources as [Json];
    expect(source.type).toBe('grafana-postgresql-datasource');
    expect(source.url).toBe('postgres:5432');
    expect(source.user).toBe('${GRAFANA_DB_USER}');
    expect(source.secureJsonData.password).toBe('${GRAFANA_DB_PASSWORD}');
    expect(source.jsonData.database).toBe('${POSTGRES_DB}');
    expect(source.user).not.toContain('POSTGRES_USER');
  });

  it('points the dashboard provider at the folder the dashboards are mounted in', () => {
    const files = readdirSync(path.join(ROOT, 'deploy/grafana/provisioning/dashboards')).filter((f) => /\.ya?ml$/.test(f));
    expect(files.length).toBeGreaterThan(0);
    const mounted = mountTarget('./deploy/grafana/dashboards');
    expect(mounted).toBeDefined();
    for (const file of files) {
      for (const provider of (parseYaml(read(`deploy/grafana/provisioning/dashboards/${file}`)) as Json).providers as Json[]) {
        expect(provider.type).toBe('file');
        expect(provider.options.path).toBe(mounted);
      }
    }
    expect(dashboardFiles.length).toBeGreaterThan(0);
    const home = String(grafana.environment.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH);
    expect(home.startsWith(`${mounted}/`)).toBe(true);
    expect(dashboardFiles).toContain(path.basename(home));
  });

  it.each(dashboardFiles)('%s: valid dashboard JSON, every panel queries the provisioned data source in SQL', (file) => {
    const dashboard = JSON.parse(read(`deploy/grafana/dashboards/${file}`)) as Json;
    expect(dashboard.uid).toMatch(/^[a-z0-9-]{1,40}$/);
    expect(dashboard.title).toBeTruthy();
    const uids = new Set(datasources.map((d) => d.uid));
    const variableNames = new Set((dashboard.templating?.list ?? []).map((v: Json) => v.name));
    const panels = (dashboard.panels as Json[]).filter((p) => p.type !== 'row');
    expect(panels.length).toBeGreaterThanOrEqual(8);
    const ids = (dashboard.panels as Json[]).map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const panel of panels) {
      expect(uids.has(panel.datasource?.uid), `${panel.title}: data source`).toBe(true);
      expect(panel.gridPos.x + panel.gridPos.w, `${panel.title}: fits 24 columns`).toBeLessThanOrEqual(24);
      expect(panel.targets?.length, `${panel.title}: has a query`).toBeGreaterThan(0);
      for (const target of panel.targets as Json[]) {
        expect(uids.has(target.datasource?.uid)).toBe(true);
        expect(target.rawQuery).toBe(true);
        expect(['table', 'time_series']).toContain(target.format);
        expect(String(target.rawSql)).toMatch(/\bdockerhub\./);
        for (const match of String(target.rawSql).matchAll(/\$(?!__)\{?([A-Za-z_]\w*)/g)) {
          expect(variableNames.has(match[1]), `${panel.title}: $${match[1]} is a dashboard variable`).toBe(true);
        }
      }
    }
    // The four areas the dashboard promises.
    const titles = panels.map((p) => String(p.title).toLowerCase()).join(' | ');
    for (const topic of ['pull', 'tag', 'audit', 'member', 'token']) expect(titles).toContain(topic);
  });
});

describe('Dockerfile and .dockerignore', () => {
  const lines = read('Dockerfile')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const instructions = lines.map((l) => {
    const [keyword, ...rest] = l.split(/\s+/);
    return { keyword: keyword!.toUpperCase(), args: rest.join(' ') };
  });
  const stages = instructions.map((ins, i) => ({ ...ins, i })).filter((ins) => ins.keyword === 'FROM');
  const runtime = instructions.slice(stages.at(-1)!.i);
  const nodeImage = /ARG NODE_IMAGE=(\S+)/.exec(lines.join('\n'))?.[1] ?? '';

  it('is multi-stage on the current Node LTS, pinned to an exact release (or a digest) on glibc', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    // glibc: the lock addon (fs-native-extensions) ships prebuilt for glibc, not for musl (alpine).
    expect(nodeImage).toMatch(/^node:24\.\d+\.\d+-(bookworm|trixie)-slim(@sha256:[0-9a-f]{64})?$/);
    for (const stage of stages) expect(stage.args).toMatch(/^\$\{NODE_IMAGE\}|^node:24\.\d+\.\d+-/);
  });

  it('needs no frontend image from a registry: no `# syntax=` directive', () => {
    expect(read('Dockerfile')).not.toMatch(/^#\s*syntax\s*=/im);
  });

  it('lets `npm ci` use an .npmrc and an extra CA given as build secrets, never baked into a layer', () => {
    const install = instructions.find((i) => i.keyword === 'RUN' && /npm ci\b/.test(i.args))?.args ?? '';
    expect(install).toContain('--mount=type=secret,id=npmrc,target=/root/.npmrc');
    expect(install).toMatch(/--mount=type=secret,id=npm_ca,target=(\S+) .*NODE_EXTRA_CA_CERTS=\1/);
    expect(instructions.filter((i) => i.keyword === 'COPY').map((i) => i.args).join('\n')).not.toMatch(/npmrc|npm_ca/);
    expect(read('docs/operations.md')).toContain('--secret id=npmrc,src=');
  });

  it("stops within `docker stop`'s 10 s by default; compose gives its longer timeout a longer grace period", () => {
    const env = runtime.filter((i) => i.keyword === 'ENV').map((i) => i.args).join(' ');
    const shutdown = /SHUTDOWN_TIMEOUT=(\S+)/.exec(env)?.[1];
    expect(shutdown, 'the image sets SHUTDOWN_TIMEOUT').toBeDefined();
    // After the running page: the Hub client, the SQL port, the database (bounded at 5 s, usually
    // well under a second) and the HTTP server close; keep at least 2 s for them.
    expect(parseDuration(shutdown!)).toBeLessThanOrEqual(10_000 - 2_000);
    const app = services['dockerhub-sync']!;
    const composeTimeout = parseDuration(String(app.environment.SHUTDOWN_TIMEOUT ?? shutdown));
    expect(parseDuration(String(app.stop_grace_period))).toBeGreaterThan(composeTimeout + 2_000);
  });

  it('installs with npm ci, builds, drops dev dependencies and ships the migrations', () => {
    const runs = instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args).join('\n');
    expect(runs).toMatch(/npm ci\b/);
    expect(runs).toMatch(/npm run build\b/);
    expect(runs).toMatch(/--omit=dev/);
    const copies = runtime.filter((i) => i.keyword === 'COPY').map((i) => i.args);
    for (const needed of ['migrations', 'bin', 'package.json', 'dist', 'node_modules']) {
      expect(copies.some((c) => c.includes(needed)), `runtime copies ${needed}`).toBe(true);
    }
  });

  it('runs as a non-root user, checks /healthz with node itself, and serves', () => {
    const user = runtime.filter((i) => i.keyword === 'USER').at(-1)?.args;
    expect(user).toBeDefined();
    expect(['root', '0', '0:0']).not.toContain(user);
    // The CLI's own check, which asks the port `serve` listens on (test/e2e/healthcheck.test.ts runs it).
    const health = runtime.find((i) => i.keyword === 'HEALTHCHECK')?.args ?? '';
    expect(health).toMatch(/CMD \["node", "bin\/dockerhub-sync\.js", "healthcheck"\]$/);
    expect(COMMANDS).toHaveProperty('healthcheck');
    expect(health).not.toMatch(/curl|wget/);
    expect(runtime.find((i) => i.keyword === 'CMD')?.args).toBe('["node", "bin/dockerhub-sync.js", "serve"]');
    expect(existsSync(path.join(ROOT, 'bin/dockerhub-sync.js'))).toBe(true);
  });

  it('sends only what the build needs: every COPY source exists and is allowed, local secrets and data are not', () => {
    const ignore = read('.dockerignore').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    expect(ignore[0]).toBe('*');
    const allowed = ignore.filter((l) => l.startsWith('!')).map((l) => l.slice(1).replace(/\/$/, ''));
    const isAllowed = (file: string) => allowed.some((a) => file === a || file.startsWith(`${a}/`));
    const sources = instructions
      .filter((i) => i.keyword === 'COPY' && !i.args.startsWith('--from'))
      .flatMap((i) => i.args.split(/\s+/).slice(0, -1));
    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources) {
      expect(existsSync(path.join(ROOT, source)), `${source} exists`).toBe(true);
      expect(isAllowed(source), `${source} is in .dockerignore's allow-list`).toBe(true);
    }
    for (const secret of ['.env', 'node_modules', 'data', 'dist', '.git', 'test']) expect(isAllowed(secret), secret).toBe(false);
  });
});
