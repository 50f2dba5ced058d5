// Vocabulary for generated names. Docker IDs (users, organizations) are 4–30 lowercase letters and
// digits; repository names follow ^[a-z0-9]+(?:[._-][a-z0-9]+)*$.

export const USER_WORDS = [
  'otter', 'harbor', 'moby', 'kelp', 'orca', 'marlin', 'pelican', 'narwhal', 'coral', 'beacon',
  'anchor', 'tide', 'lagoon', 'reef', 'skiff', 'dune', 'cirrus', 'ember', 'quartz', 'juniper',
] as const;

export const ORG_PREFIXES = [
  'acme', 'nimbus', 'stellar', 'quantum', 'northwind', 'bluefin', 'copper', 'vertex', 'lumen', 'granite',
  'helix', 'polar', 'sierra', 'tundra', 'vector', 'zephyr', 'cobalt', 'orbit', 'pixel', 'summit',
] as const;

export const ORG_SUFFIXES = ['labs', 'cloud', 'io', 'corp', 'dev', 'hq', 'systems', 'works', 'data', 'tech'] as const;

export const FIRST_NAMES = [
  'alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi', 'ivan', 'judy', 'mallory', 'niaj',
  'olivia', 'peggy', 'rupert', 'sybil', 'trent', 'victor', 'walter', 'yasmin', 'zoe', 'amir', 'bea',
  'chen', 'dmitri', 'elena', 'farah', 'goran', 'hana', 'ines', 'jonas', 'kenji', 'lena', 'mateo',
  'nadia', 'omar', 'priya', 'quinn', 'rosa', 'sami', 'tariq', 'uma', 'vera', 'wei', 'ximena', 'yusuf',
] as const;

export const LAST_NAMES = [
  'smith', 'garcia', 'mueller', 'rossi', 'kowalski', 'tanaka', 'nguyen', 'okafor', 'silva', 'novak',
  'larsen', 'dubois', 'haddad', 'ivanova', 'jensen', 'kim', 'lopez', 'moreau', 'nakamura', 'oconnor',
  'petrov', 'quispe', 'reyes', 'schmidt', 'torres', 'ueda', 'vargas', 'weber', 'yilmaz', 'zhang',
] as const;

export const COMPANIES = [
  'Acme Corp', 'Initech', 'Globex', 'Umbrella Labs', 'Hooli', 'Stark Industries', 'Wayne Enterprises',
  'Soylent', 'Vandelay Industries', 'Massive Dynamic', '',
] as const;

export const LOCATIONS = [
  'Berlin, Germany', 'San Francisco, CA', 'Lisbon', 'Tokyo', 'Remote', 'Toronto, Canada', 'Bangalore',
  'Paris, France', 'Austin, TX', 'Sydney', '',
] as const;

export const EMAIL_DOMAINS = ['gmail.com', 'outlook.com', 'proton.me', 'fastmail.com'] as const;

export const REPO_WORDS = [
  'api', 'web', 'worker', 'gateway', 'auth', 'billing', 'search', 'frontend', 'backend', 'proxy', 'cache',
  'postgres', 'redis', 'nginx', 'inference', 'etl', 'scheduler', 'notifier', 'metrics', 'exporter', 'agent',
  'cli', 'builder', 'runner', 'base', 'toolbox', 'docs', 'payments', 'ledger', 'analytics', 'ingest',
  'router', 'edge', 'sidecar', 'operator', 'controller', 'webhook', 'mailer', 'thumbnailer', 'transcoder',
  'importer', 'catalog', 'inventory', 'checkout', 'profile', 'feed', 'chat', 'media', 'storage', 'vault',
] as const;

export const REPO_QUALIFIERS = ['service', 'server', 'app', 'core', 'lite', 'dev', 'ci', 'node', 'py', 'go', 'v2', 'legacy'] as const;

export const REPO_SEPARATORS = ['-', '-', '-', '_', '.'] as const;

export const DESCRIPTION_TEMPLATES = [
  'Base image for {name}',
  '{Name} service for the platform',
  'Production image of {name}, rebuilt nightly',
  'Internal tooling: {name}',
  '{Name} with batteries included',
  'Minimal {name} image based on Alpine',
  'Deprecated, use {ns}/{name}-v2 instead',
  'Multi-arch build of {name}',
] as const;

export const CATEGORIES = [
  { name: 'Languages & frameworks', slug: 'languages-and-frameworks' },
  { name: 'Integration & delivery', slug: 'integration-and-delivery' },
  { name: 'Operating systems', slug: 'operating-systems' },
  { name: 'Databases & storage', slug: 'databases-and-storage' },
  { name: 'Web servers', slug: 'web-servers' },
  { name: 'Monitoring & observability', slug: 'monitoring-and-observability' },
  { name: 'Networking', slug: 'networking' },
  { name: 'Security', slug: 'security' },
  { name: 'Developer tools', slug: 'developer-tools' },
  { name: 'Machine learning & AI', slug: 'machine-learning-and-ai' },
  { name: 'Message queues', slug: 'message-queues' },
  { name: 'API management', slug: 'api-management' },
] as const;

export const TEAM_NAMES = [
  'developers', 'platform', 'sre', 'data', 'security', 'release-eng', 'qa', 'frontend', 'backend',
  'ml', 'ci-bots', 'contractors', 'support', 'mobile', 'infra', 'design',
] as const;

export const TEAM_DESCRIPTIONS = [
  'Everyone who ships code', 'Build and release automation', 'On-call rotation', 'Read-only access for auditors',
  'Machine accounts for CI', '', 'Product engineering', 'External contractors (read only)',
] as const;

export const TAG_VARIANT_SUFFIXES = ['', '-alpine', '-slim', '-bookworm', '-debian', '-ubi9'] as const;

export const TAG_CHANNELS = ['main', 'develop', 'edge', 'stable', 'beta', 'nightly'] as const;

export const LAYER_INSTRUCTIONS = [
  'ADD file:{hex} in / ',
  'RUN /bin/sh -c apk add --no-cache ca-certificates tzdata # buildkit',
  'COPY /out/app /usr/local/bin/app # buildkit',
  'RUN /bin/sh -c apt-get update && apt-get install -y --no-install-recommends curl # buildkit',
  'COPY . /app # buildkit',
  'RUN /bin/sh -c pip install --no-cache-dir -r requirements.txt # buildkit',
] as const;

export const METADATA_INSTRUCTIONS = [
  'CMD ["/bin/sh"]',
  'ENTRYPOINT ["/usr/local/bin/app"]',
  'EXPOSE map[8080/tcp:{}]',
  'WORKDIR /app',
  'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  'USER 65532:65532',
] as const;

export const USER_AGENTS = [
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36',
  'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0',
  'docker/27.1.1 go/go1.21.12 git-commit/cc13f95 kernel/6.8.0 os/linux arch/amd64',
  'Go-http-client/2.0',
] as const;

export const DESKTOP_VERSIONS = ['4.29.0', '4.30.0', '4.31.1', '4.33.0', '4.34.2', '4.35.1'] as const;
