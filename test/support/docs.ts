import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './cli.js';

/**
 * The Markdown files a reader walks: README.md, CONTRIBUTING.md and docs/*.md, and their fenced
 * code blocks, so the doc tests read every sample from one place.
 */

export interface DocFile {
  /** Relative to the repository root, with forward slashes. */
  file: string;
  text: string;
}

export interface CodeBlock {
  file: string;
  /** 1-based line of the opening fence. */
  line: number;
  /** The info string after the fence (`yaml`, `sh`, `sql`, `ts`), empty when there is none. */
  lang: string;
  code: string;
  /** The nearest heading above the block. */
  heading: string;
}

export function docFiles(): DocFile[] {
  const files = ['README.md', 'CONTRIBUTING.md', ...readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)];
  return files.map((file) => ({ file, text: readFileSync(path.join(ROOT, file), 'utf8') }));
}

export function readDoc(file: string): string {
  return readFileSync(path.join(ROOT, file), 'utf8');
}

/** The fenced blocks of a Markdown text (fences of three backticks, indented fences included). */
export function codeBlocks(doc: DocFile): CodeBlock[] {
  const blocks: CodeBlock[] = [];
  const lines = doc.text.split('\n');
  let heading = '';
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const open = /^(\s*)```(\S*)\s*$/.exec(line);
    if (!open) {
      const h = /^#{1,6} (.*)$/.exec(line);
      if (h) heading = h[1]!;
      continue;
    }
    const indent = open[1]!.length;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length && !/^\s*```\s*$/.test(lines[j]!); j++) body.push(lines[j]!.slice(Math.min(indent, /^\s*/.exec(lines[j]!)![0].length)));
    blocks.push({ file: doc.file, line: i + 1, lang: open[2]!, code: body.join('\n'), heading });
    i = j;
  }
  return blocks;
}

/** The text of a Markdown file with its fenced blocks and inline code removed (for links and headings). */
export function proseOf(text: string): string {
  return text.replace(/^\s*```[\s\S]*?^\s*```\s*$/gm, '').replace(/`[^`\n]*`/g, '');
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
export function headingSlug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/ /g, '-');
}

/** Every anchor a Markdown file offers (repeated headings get -1, -2 … as on GitHub). */
export function anchorsOf(text: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of text.replace(/^\s*```[\s\S]*?^\s*```\s*$/gm, '').split('\n')) {
    const match = /^#{1,6} (.*)$/.exec(line);
    if (!match) continue;
    const slug = headingSlug(match[1]!);
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    anchors.add(n === 0 ? slug : `${slug}-${n}`);
  }
  return anchors;
}
