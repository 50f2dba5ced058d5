/**
 * Templates with `{...}` placeholders: the path, query, headers and body of a user-defined
 * endpoint (`{org}`, `{now-7d}`, `{repositories.name}`) and of a write-back target (`{team}`).
 * This module only parses and fills them in; what an expression means is the caller's
 * resolver (time macros, parent rows, record columns). `{{` and `}}` stand for literal braces.
 */

export interface Placeholder {
  /** The text between the braces, trimmed: `now-7d`, `repositories.name`, `cursor|now-7d`. */
  expression: string;
  /** Offset of the opening brace in the template. */
  start: number;
}

export type TemplatePart = string | Placeholder;

export class TemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateError';
  }
}

/** Split a template into literal text and placeholders. Throws on an unclosed or empty placeholder. */
export function parseTemplate(template: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let text = '';
  for (let i = 0; i < template.length; i++) {
    const ch = template[i]!;
    if (ch === '{' && template[i + 1] === '{') {
      text += '{';
      i++;
      continue;
    }
    if (ch === '}' && template[i + 1] === '}') {
      text += '}';
      i++;
      continue;
    }
    if (ch === '}') throw new TemplateError(`"${template}": a "}" at offset ${i} closes no placeholder (write "}}" for a literal brace).`);
    if (ch !== '{') {
      text += ch;
      continue;
    }
    const close = template.indexOf('}', i + 1);
    const nextOpen = template.indexOf('{', i + 1);
    if (close < 0 || (nextOpen >= 0 && nextOpen < close)) {
      throw new TemplateError(`"${template}": the placeholder at offset ${i} is not closed (write "{{" for a literal brace).`);
    }
    const expression = template.slice(i + 1, close).trim();
    if (!expression) throw new TemplateError(`"${template}": empty placeholder "{}" at offset ${i}.`);
    if (text) parts.push(text);
    text = '';
    parts.push({ expression, start: i });
    i = close;
  }
  if (text) parts.push(text);
  return parts;
}

/** The expressions of every placeholder in a template, in order (duplicates kept). */
export function placeholdersOf(template: string): string[] {
  return parseTemplate(template).flatMap((part) => (typeof part === 'string' ? [] : [part.expression]));
}

/** Every placeholder expression in a JSON-like value: strings anywhere in objects and arrays, keys included. */
export function placeholdersIn(value: unknown): string[] {
  if (typeof value === 'string') return placeholdersOf(value);
  if (Array.isArray(value)) return value.flatMap((item) => placeholdersIn(item));
  if (value !== null && typeof value === 'object') {
    return Object.entries(value as Record<string, unknown>).flatMap(([key, item]) => [...placeholdersOf(key), ...placeholdersIn(item)]);
  }
  return [];
}

/**
 * Resolves one expression to its value; `undefined` means "unknown here" and makes rendering
 * fail with a message naming the placeholder.
 */
export type Resolver = (expression: string) => unknown;

export interface RenderOptions {
  /** `path`: each value is one URL path segment (percent-encoded, "/" included). Default `none`. */
  encode?: 'path' | 'none';
  /** Named in errors: `path of endpoint tag_pushes`. */
  what?: string;
}

function asText(value: unknown): string {
  if (value instanceof Date) return value.toISOString();
  if (value !== null && typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** Fill in a string template. Every placeholder must resolve (null counts as resolved: empty text). */
export function renderTemplate(template: string, resolve: Resolver, options: RenderOptions = {}): string {
  let out = '';
  for (const part of parseTemplate(template)) {
    if (typeof part === 'string') {
      out += part;
      continue;
    }
    const value = resolve(part.expression);
    if (value === undefined) {
      throw new TemplateError(`${options.what ? `${options.what}: ` : ''}{${part.expression}} has no value.`);
    }
    const text = value === null ? '' : asText(value);
    out += options.encode === 'path' ? encodeURIComponent(text) : text;
  }
  return out;
}

/**
 * Fill in every string of a JSON-like value (a body, a query, headers). A string that is exactly
 * one placeholder takes the resolved value as it is (a number stays a number, a list a list);
 * placeholders inside longer strings are rendered as text.
 */
export function renderValue(value: unknown, resolve: Resolver, options: RenderOptions = {}): unknown {
  if (typeof value === 'string') {
    const parts = parseTemplate(value);
    if (parts.length === 1 && typeof parts[0] !== 'string') {
      const resolved = resolve(parts[0]!.expression);
      if (resolved === undefined) {
        throw new TemplateError(`${options.what ? `${options.what}: ` : ''}{${parts[0]!.expression}} has no value.`);
      }
      return resolved;
    }
    return renderTemplate(value, resolve, { ...options, encode: 'none' });
  }
  if (Array.isArray(value)) return value.map((item) => renderValue(item, resolve, options));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
      out[renderTemplate(key, resolve, { ...options, encode: 'none' })] = renderValue(item, resolve, options);
    }
    return out;
  }
  return value;
}

/** A resolver over plain values: `{name}` and dotted `{parent.field}` look up nested properties. */
export function valuesResolver(values: Record<string, unknown>): Resolver {
  return (expression) => {
    if (Object.prototype.hasOwnProperty.call(values, expression)) return values[expression];
    let current: unknown = values;
    for (const segment of expression.split('.')) {
      if (current === null || typeof current !== 'object' || !Object.prototype.hasOwnProperty.call(current, segment)) return undefined;
      current = (current as Record<string, unknown>)[segment];
    }
    return current;
  };
}

/** Try resolvers in order; the first that knows the expression wins. */
export function firstOf(...resolvers: Resolver[]): Resolver {
  return (expression) => {
    for (const resolve of resolvers) {
      const value = resolve(expression);
      if (value !== undefined) return value;
    }
    return undefined;
  };
}
