// Which module may import which: `npm run check:deps` (dependency-cruiser) fails on a violation.
//
// Layers, each importing only from those below it:
//   commands (and cli.ts, index.ts)      the top: parse flags, build the endpoint registry, wire things
//   scheduler, server                    when to run; status, metrics and health over HTTP
//   sync/runner.ts, writeback, custom    a pass over the registry; write-back; YAML endpoints
//   endpoints                            the built-in endpoint families
//   the engine: sync/* but runner.ts     the endpoint contract (sync/context.ts), paging, upserts
//   hub, db, templating                  the Docker Hub client library, the database, templates
// config.ts is read by every layer, so it stays a leaf: it takes the schemas of its sections from
// their features (custom/config.ts, writeback/job.ts) and reaches no runtime code.
// Leaf helpers (LEAVES) import nothing of ours but other leaves; any module may use them.
// Type-only imports count like any other: a cycle of types is still a cycle.

const LEAVES = '^src/((cli-errors|secret-text|process-alive|counts|format|logger)[.]ts|scheduler/cron[.]ts|server/serve-port[.]ts)$';

module.exports = {
  forbidden: [
    {
      name: 'no-cycle',
      comment: 'A module may not reach itself through its imports (type-only imports included).',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'leaves-stay-leaves',
      comment: 'A leaf helper imports only other leaf helpers (and packages).',
      severity: 'error',
      from: { path: LEAVES },
      to: { path: '^src/', pathNot: LEAVES },
    },
    {
      name: 'config-imports-its-sections-only',
      comment:
        'config.ts is read by every layer: it imports leaf helpers, the credential rules of the library (hub/credentials.ts) and ' +
        'the schemas of the sections other features own (custom/config.ts, writeback/job.ts); the checks that need the endpoint ' +
        'registry live above it (commands/config-check.ts).',
      severity: 'error',
      from: { path: '^src/config[.]ts$' },
      to: { path: '^src/', pathNot: [LEAVES, '^src/hub/credentials[.]ts$', '^src/custom/config[.]ts$', '^src/writeback/job[.]ts$'] },
    },
    {
      name: 'config-reaches-no-runtime',
      comment: 'Nothing config.ts imports, directly or not, is endpoint, engine, scheduler, server, command or database-access code.',
      severity: 'error',
      from: { path: '^src/config[.]ts$' },
      to: {
        reachable: true,
        path: [
          '^src/(endpoints|sync|commands|emulator|scheduler|server)/',
          '^src/custom/(?!config[.]ts$|pg-input[.]ts$)',
          '^src/writeback/(?!job[.]ts$|values[.]ts$|templates/)',
          '^src/db/(?!schema/|views[.]ts$)',
          '^src/(cli|index)[.]ts$',
        ],
        pathNot: LEAVES,
      },
    },
    {
      name: 'only-commands-import-commands',
      comment: 'The commands are the top: only the CLI and other commands import them.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(commands/|cli[.]ts$)' },
      to: { path: '^src/commands/' },
    },
    {
      name: 'registry-built-at-the-top',
      comment:
        'The built-in registry is taken by the commands and by custom/registry.ts (buildRegistry, which the commands call) only; ' +
        'everything below gets the registry passed in.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(commands/|custom/registry[.]ts$|cli[.]ts$|index[.]ts$)' },
      to: { path: '^src/endpoints/index[.]ts$' },
    },
    {
      name: 'scheduler-and-server-below-commands',
      comment: 'The scheduler never imports the HTTP server (the server reports on the scheduler, not the other way).',
      severity: 'error',
      from: { path: '^src/scheduler/' },
      to: { path: '^src/server/', pathNot: LEAVES },
    },
    {
      name: 'runner-below-scheduler',
      comment: 'The sync (runner and engine), write-back and custom endpoints do not import the scheduler or the server.',
      severity: 'error',
      from: { path: '^src/(sync|writeback|custom|endpoints)/' },
      to: { path: '^src/(scheduler|server)/', pathNot: LEAVES },
    },
    {
      name: 'endpoints-below-runner',
      comment: 'An endpoint family uses the engine, never the runner, write-back or the custom endpoints.',
      severity: 'error',
      from: { path: '^src/endpoints/' },
      to: { path: '^src/(sync/runner[.]ts$|writeback/|custom/)' },
    },
    {
      name: 'engine-imports-no-family',
      comment: 'The engine (sync/* but the runner) owns the endpoint contract and imports no endpoint family, no runner, nothing above.',
      severity: 'error',
      from: { path: '^src/sync/', pathNot: '^src/sync/runner[.]ts$' },
      to: { path: '^src/(endpoints/|custom/|writeback/|sync/runner[.]ts$)' },
    },
    {
      name: 'writeback-beside-the-sync',
      comment: 'Write-back reads the database and calls the Hub; it uses neither the sync nor the endpoints.',
      severity: 'error',
      from: { path: '^src/writeback/' },
      to: { path: '^src/(sync|endpoints|custom)/' },
    },
    {
      name: 'hub-is-the-library',
      comment:
        'src/hub is the client library: it imports only itself and leaf helpers, never the database (paths.ts), the config or the sync.',
      severity: 'error',
      from: { path: '^src/hub/' },
      to: { path: '^src/', pathNot: ['^src/hub/', LEAVES] },
    },
    {
      name: 'db-is-a-base',
      comment: 'The database layer imports only itself and leaf helpers.',
      severity: 'error',
      from: { path: '^src/db/' },
      to: { path: '^src/', pathNot: ['^src/db/', LEAVES] },
    },
    {
      name: 'templating-is-a-base',
      comment: 'Templates use the Hub request rules (what a path segment may hold) and nothing else of ours.',
      severity: 'error',
      from: { path: '^src/templating/' },
      to: { path: '^src/', pathNot: ['^src/templating/', '^src/hub/request-rules[.]ts$', LEAVES] },
    },
    {
      name: 'emulator-stands-alone',
      comment: 'The emulator is a stand-in for Docker Hub: it shares no code with the product it is tested against.',
      severity: 'error',
      from: { path: '^src/emulator/' },
      to: { path: '^src/', pathNot: '^src/emulator/' },
    },
    {
      name: 'emulator-started-by-commands',
      comment: 'Only the commands (emulator, demo) start the emulator; the product never depends on it.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(emulator|commands)/' },
      to: { path: '^src/emulator/' },
    },
    {
      name: 'src-imports-no-tests',
      comment: 'Shipped code never imports tests, benchmarks or scripts.',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(test|bench|scripts)/' },
    },
    {
      name: 'no-unresolvable',
      comment: 'Every import resolves (a moved file whose importers were not updated).',
      severity: 'error',
      from: { path: '^src/' },
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|dist)/' },
    tsConfig: { fileName: 'tsconfig.json' },
    // Type-only imports are part of the graph (a cycle through types still ties modules together).
    tsPreCompilationDeps: true,
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.d.ts'],
    },
  },
};
