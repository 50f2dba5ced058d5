import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { COMMANDS } from '../../src/cli.js';
import { loadConfig } from '../../src/config.js';
import * as library from '../../src/index.js';
import { ROOT } from '../support/cli.js';
import { anchorsOf, codeBlocks, docFiles, proseOf, readDoc, type CodeBlock } from '../support/docs.js';

/**
 * The docs a newcomer walks (README.md, CONTRIBUTING.md, docs/*.md): every relative link leads
 * somewhere, the README stays short, and every code sample is run: YAML blocks load as config
 * files, command lines parse with the real flags, TypeScript samples use what the package
 * exports. SQL samples run against a database in test/integration/docs-sql.test.ts; the views'
 * queries in test/integration/views.test.ts, the psql lines in test/e2e/sql-port.test.ts.
 */

const docs = docFiles();
const blocks = docs.flatMap(codeBlocks);
const where = (block: CodeBlock) => `${block.file}:${block.line}`;

describe('the docs', () => {
  it('keep the README under 25 KB, with the rest in docs/', () => {
    expect(statSync(path.join(ROOT, 'README.md')).size).toBeLessThan(25 * 1024);
    expect(docs.map((d) => d.file)).toEqual(expect.arrayContaining(['CONTRIBUTING.md', 'docs/configuration.md', 'docs/hub-quirks.md']));
  });

  it('link only to files and headings that exist', () => {
    const broken: string[] = [];
    let checked = 0;
    for (const doc of docs) {
      for (const match of proseOf(doc.text).matchAll(/\]\(([^)\s]+)\)/g)) {
        const link = match[1]!;
        if (/^[a-z][a-z+.-]*:/i.test(link)) continue; // https:, mailto:
        checked++;
        const [target, anchor] = link.split('#') as [string, string | undefined];
        const file = target ? path.normalize(path.join(path.dirname(doc.file), target)) : doc.file;
        if (!existsSync(path.join(ROOT, file))) {
          broken.push(`${doc.file}: ${link} (no file ${file})`);
          continue;
        }
        if (anchor && file.endsWith('.md') && !anchorsOf(readDoc(file)).has(anchor)) broken.push(`${doc.file}: ${link} (no heading #${anchor} in ${file})`);
      }
    }
    expect(broken).toEqual([]);
    expect(checked).toBeGreaterThan(50);
  });

  it('mark every code block with a language the tests know (no language: printed output)', () => {
    const unknown = blocks.filter((b) => !['yaml', 'sh', 'sql', 'ts', 'csv', ''].includes(b.lang)).map(where);
    expect(unknown).toEqual([]);
  });
});

describe('YAML samples', () => {
  const yamlBlocks = blocks.filter((b) => b.lang === 'yaml');

  it('each loads as a config file without a problem', () => {
    expect(yamlBlocks.length).toBeGreaterThanOrEqual(6);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dhs-doc-yaml-'));
    try {
      for (const [index, block] of yamlBlocks.entries()) {
        // A credential's secret comes from the environment or a file: give the sample both.
        const env: Record<string, string> = {};
        let text = block.code;
        for (const match of text.matchAll(/secretEnv:\s*(\w+)/g)) env[match[1]!] = `sample-secret-${index}`;
        text = text.replace(/secretFile:\s*(\S+)/g, (_, file: string) => {
          const local = path.join(dir, `secret-${index}-${path.basename(file)}`);
          writeFileSync(local, `sample-secret-${index}\n`);
          return `secretFile: ${local}`;
        });
        expect(parseYaml(text), where(block)).toBeTypeOf('object');
        const file = path.join(dir, `sample-${index}.yaml`);
        writeFileSync(file, text);
        expect(() => loadConfig({ env, configFile: file }), where(block)).not.toThrow();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

const GLOBAL_OPTIONS: ParseArgsConfig['options'] = {
  config: { type: 'string', short: 'c' },
  'log-level': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
};

/** Shell words of a script, quotes removed (a quote may span lines); operators (`|`, `>`, `&&`, `;`) and line ends are words of their own. */
function shellWords(line: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (ch === "'" || ch === '"') {
      const close = line.indexOf(ch, i + 1);
      if (close < 0) throw new Error(`unclosed quote in: ${line}`);
      word = (word ?? '') + line.slice(i + 1, close);
      i = close;
    } else if (ch === '\n') {
      if (word !== undefined) words.push(word);
      word = undefined;
      words.push(';');
    } else if (/\s/.test(ch)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else if (ch === '#' && word === undefined) {
      const end = line.indexOf('\n', i);
      if (end < 0) break;
      i = end - 1;
    } else if ('|;>&'.includes(ch)) {
      if (word !== undefined) words.push(word);
      word = undefined;
      words.push(line[i + 1] === '&' ? '&&' : ch);
      if (line[i + 1] === '&') i++;
    } else {
      word = (word ?? '') + ch;
    }
  }
  if (word !== undefined) words.push(word);
  return words;
}

const SCRIPTS = (JSON.parse(readDoc('package.json')) as { scripts: Record<string, string> }).scripts;

/** The dockerhub-sync argument lists of a shell sample: `dockerhub-sync …`, `npx dockerhub-sync …`, `npm run <cli script> -- …`. */
function cliInvocations(code: string): string[][] {
  const out: string[][] = [];
  {
    const words = shellWords(code.replace(/\\\n/g, ' '));
    let segment: string[] = [];
    for (const word of [...words, ';']) {
      if (!['|', ';', '>', '&&', '&'].includes(word)) {
        segment.push(word);
        continue;
      }
      const command = segment.filter((_, i) => !segment.slice(0, i + 1).every((w) => /^[A-Z_][A-Z0-9_]*=/.test(w)));
      if (command[0] === 'npx' && command[1] === 'dockerhub-sync') out.push(command.slice(2));
      else if (command[0] === 'dockerhub-sync') out.push(command.slice(1));
      else if (command[0] === 'npm' && command[1] === 'run') {
        const rest = command.slice(2).filter((w) => w !== '-s');
        const script = SCRIPTS[rest[0]!] ?? '';
        const cli = /^tsx src\/cli\.ts\s*(.*)$/.exec(script);
        if (cli) out.push([...(cli[1] ? cli[1].split(' ') : []), ...rest.slice(1).filter((w, i) => !(i === 0 && w === '--'))]);
      }
      segment = [];
      if (word === '>') segment = ['>'];
    }
  }
  return out.filter((args) => args[0] !== '>');
}

describe('command-line samples', () => {
  it('shell words and invocations are read the way a shell would', () => {
    expect(cliInvocations(`DATA_DIR=x npx dockerhub-sync sql --csv "SELECT 1" > out.csv  # note\nnpm ci && npm run demo\nnpm run -s sql -- --json "SELECT 2" | jq .`)).toEqual([
      ['sql', '--csv', 'SELECT 1'],
      ['demo'],
      ['sql', '--json', 'SELECT 2'],
    ]);
  });

  it('each dockerhub-sync command line in a shell sample parses with the real commands and flags', () => {
    const invocations = blocks.filter((b) => b.lang === 'sh').flatMap((block) => cliInvocations(block.code).map((args) => ({ block, args })));
    expect(invocations.length).toBeGreaterThanOrEqual(25);
    const problems: string[] = [];
    for (const { block, args } of invocations) {
      const [name, ...rest] = args;
      const spec = COMMANDS[name!];
      if (!spec) {
        problems.push(`${where(block)}: unknown command ${name}`);
        continue;
      }
      try {
        const parsed = parseArgs({ args: rest, options: { ...GLOBAL_OPTIONS, ...spec.options }, strict: true, allowPositionals: Boolean(spec.positionals) });
        if (spec.positionals) {
          const { min, max } = spec.positionals;
          if (parsed.positionals.length < min || parsed.positionals.length > max) problems.push(`${where(block)}: ${args.join(' ')}: expects ${spec.positionals.names}`);
        }
      } catch (error) {
        problems.push(`${where(block)}: ${args.join(' ')}: ${(error as Error).message}`);
      }
    }
    expect(problems).toEqual([]);
  });
});

describe('TypeScript samples', () => {
  const tsBlocks = blocks.filter((b) => b.lang === 'ts');

  it('import only what the package exports, and call only methods its clients have', async () => {
    expect(tsBlocks.length).toBeGreaterThan(0);
    const exported = library as Record<string, unknown>;
    for (const block of tsBlocks) {
      const imports = [...block.code.matchAll(/import \{([^}]*)\} from 'dockerhub-sync'/g)].flatMap((m) => m[1]!.split(',').map((s) => s.trim()).filter(Boolean));
      for (const name of imports) expect(exported[name], `${where(block)}: ${name} is exported`).toBeTypeOf('function');
      // Each `const x = createSomething(...)` makes a client; every `x.method` used must exist on it.
      for (const [, variable, factory] of block.code.matchAll(/const (\w+) = (create\w+)\(/g)) {
        const client = (exported[factory!] as (options: object) => Record<string, unknown>)({ baseUrl: 'http://127.0.0.1:9' });
        try {
          for (const [, member] of block.code.matchAll(new RegExp(`\\b${variable}\\.(\\w+)`, 'g'))) {
            expect(client[member!], `${where(block)}: ${variable}.${member}`).toBeDefined();
          }
        } finally {
          await (client.close as (() => Promise<void>) | undefined)?.call(client);
        }
      }
    }
  });
});
