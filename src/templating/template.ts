/**
 * Templates with `{...}` placeholders: the path, query, headers and body of a user-defined
 * endpoint (`{org}`, `{now-7d}`, `{repositories.name}`) and of a write-back target (`{team}`).
 * This module only parses and fills them in; what an expression means is the caller's
 * resolver (time macros, parent rows, record columns). `{{` and `}}` stand for literal braces.
 */

import { apiPathProblem, pathSegment } from '../hub/request-rules.js';

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

/**
 * Why a path template cannot be a request path under the API URL, or undefined. Each placeholder
 * becomes one segment (it cannot add "/" or "\\"), so the literal text decides where it leads;
 * the filled-in path is checked again before each call.
 */
export function templatePathProblem(template: string): string | undefined {
  let literal: string;
  try {
    literal = parseTemplate(template)
      .map((part) => (typeof part === 'string' ? part : 'x'))
      .join('');
  } catch {
    return undefined; // reported as a template problem
  }
  const problem = apiPathProblem(literal);
  return problem ? `"${template}" ${problem}` : undefined;
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
  /**
   * `path`: each value before the first literal "?" is one URL path segment, percent-encoded
   * ("/" included) and refused when it cannot be one (request-rules.ts); values after it are
   * percent-encoded query text. Default `none`.
   */
  encode?: 'path' | 'none';
  /** Named in errors: `path of endpoint tag_pushes`. */
  what?: string;
  /** How an error names a placeholder; default `{expression}`. */
  describe?: (expression: string) => string;
}

function asText(value: unknown): string {
  if (value instanceof Date) return value.toISOString();
  if (value !== null && typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** Fill in a string template. Every placeholder must resolve (null counts as resolved: empty text). */
export function renderTemplate(template: string, resolve: Resolver, options: RenderOptions = {}): string {
  let out = '';
  let inQuery = false;
  for (const part of parseTemplate(template)) {
    if (typeof part === 'string') {
      out += part;
      if (part.includes('?')) inQuery = true;
      continue;
    }
    const value = resolve(part.expression);
    if (value === undefined) {
      throw new TemplateError(`${options.what ? `${options.what}: ` : ''}{${part.expression}} has no value.`);
    }
    const text = value === null ? '' : asText(value);
    if (options.encode !== 'path') out += text;
    else if (inQuery) out += encodeURIComponent(text);
    else out += pathSegment(text, `${options.what ? `${options.what}: ` : ''}${options.describe ? options.describe(part.expression) : `{${part.expression}}`}`);
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

// ---------------------------------------------------------------------------------------------
// Macros: what a placeholder of a user-defined endpoint may say.
//
//   {now}  {now-7d}  {now+1h}           the current time, shifted (units below)
//   {now-7d:unix}  {now:yyyy-MM-dd}     ... in a format after the first ":" (see formatInstant)
//   {cursor|now-7d}                     alternatives: the first one that has a value wins
//   {org}  {repositories.name}          plain values, looked up by the caller's resolver
//
// Units: m/min/minute(s), h/hour(s), d/day(s), w/week(s), mo/month(s). A bare number (`{now-1}`)
// counts in the endpoint's `timeUnit` (the seed's "Time Unit for Operations"), default day.

export type TimeUnit = 'minute' | 'hour' | 'day' | 'week' | 'month';
export const TIME_UNITS: readonly TimeUnit[] = ['minute', 'hour', 'day', 'week', 'month'];

const UNIT_SPELLINGS: Record<string, TimeUnit> = {
  m: 'minute', min: 'minute', mins: 'minute', minute: 'minute', minutes: 'minute',
  h: 'hour', hr: 'hour', hour: 'hour', hours: 'hour',
  d: 'day', day: 'day', days: 'day',
  w: 'week', week: 'week', weeks: 'week',
  mo: 'month', month: 'month', months: 'month',
};

export interface MacroExpression {
  /** `cursor|now-7d` → ['cursor', 'now-7d'] */
  alternatives: string[];
  /** The text after the first ":" (`unix`, `yyyy-MM-dd`), trimmed. */
  format: string | undefined;
}

/** Split a placeholder expression into its alternatives and its format. */
export function parseMacro(expression: string): MacroExpression {
  const colon = expression.indexOf(':');
  const head = colon < 0 ? expression : expression.slice(0, colon);
  const format = colon < 0 ? undefined : expression.slice(colon + 1).trim();
  return { alternatives: head.split('|').map((a) => a.trim()), format: format === '' ? undefined : format };
}

const TIME_RE = /^now\s*(?:([+-])\s*(\d+)\s*([a-z]*))?$/i;

/** `now`, `now-7d`, `now+1h`, `now-1` (in `defaultUnit`): the shift, or undefined when it is no time macro. */
export function parseTimeMacro(text: string, defaultUnit: TimeUnit = 'day'): { amount: number; unit: TimeUnit } | undefined {
  const match = TIME_RE.exec(text.trim());
  if (!match) return undefined;
  if (!match[1]) return { amount: 0, unit: defaultUnit };
  const spelled = (match[3] ?? '').toLowerCase();
  const unit = spelled === '' ? defaultUnit : UNIT_SPELLINGS[spelled];
  if (!unit) throw new TemplateError(`{${text}}: "${match[3]}" is not a time unit (use m, h, d, w or mo: minute, hour, day, week, month).`);
  return { amount: (match[1] === '-' ? -1 : 1) * Number(match[2]), unit };
}

/** Does the text look like a time macro at all (`now…`)? */
export function isTimeMacro(text: string): boolean {
  return /^now\b/i.test(text.trim());
}

/** `date` moved by `amount` units, in UTC; months keep the day of the month where it exists (Jan 31 + 1 month = Feb 28/29). */
export function shiftTime(date: Date, amount: number, unit: TimeUnit): Date {
  const ms = { minute: 60_000, hour: 3_600_000, day: 86_400_000, week: 7 * 86_400_000 } as const;
  if (unit !== 'month') return new Date(date.getTime() + amount * ms[unit]);
  const out = new Date(date.getTime());
  const day = out.getUTCDate();
  out.setUTCDate(1);
  out.setUTCMonth(out.getUTCMonth() + amount);
  const lastDay = new Date(Date.UTC(out.getUTCFullYear(), out.getUTCMonth() + 1, 0)).getUTCDate();
  out.setUTCDate(Math.min(day, lastDay));
  return out;
}

const PATTERN_TOKENS = /yyyy|MM|dd|HH|mm|ss|SSS|'[^']*'/g;

/**
 * Format an instant (always UTC): `iso` (the default: 2025-01-31T12:00:00.000Z), `unix`
 * (seconds), `unixms` (milliseconds), `date` (2025-01-31), or a pattern of yyyy MM dd HH mm ss
 * SSS with literal text in single quotes (`yyyy-MM-dd'T'HH:mm:ss'Z'`).
 */
export function formatInstant(date: Date, format: string | undefined): string {
  const f = format ?? 'iso';
  if (f === 'iso') return date.toISOString();
  if (f === 'unix') return String(Math.floor(date.getTime() / 1000));
  if (f === 'unixms') return String(date.getTime());
  if (f === 'date') return date.toISOString().slice(0, 10);
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  return f.replace(PATTERN_TOKENS, (token) => {
    switch (token) {
      case 'yyyy': return pad(date.getUTCFullYear(), 4);
      case 'MM': return pad(date.getUTCMonth() + 1);
      case 'dd': return pad(date.getUTCDate());
      case 'HH': return pad(date.getUTCHours());
      case 'mm': return pad(date.getUTCMinutes());
      case 'ss': return pad(date.getUTCSeconds());
      case 'SSS': return pad(date.getUTCMilliseconds(), 3);
      default: return token.slice(1, -1);
    }
  });
}

/** Why a format is not usable, or undefined. */
export function formatProblem(format: string): string | undefined {
  if (['iso', 'unix', 'unixms', 'date'].includes(format)) return undefined;
  if (!/yyyy|MM|dd|HH|mm|ss|SSS/.test(format)) {
    return `"${format}" is not a date format (iso, unix, unixms, date, or a pattern such as yyyy-MM-dd'T'HH:mm:ss)`;
  }
  if ((format.match(/'/g) ?? []).length % 2 !== 0) return `"${format}" has an unclosed quote (literal text goes between single quotes)`;
  return undefined;
}

export interface MacroOptions {
  /** "Now" for every time macro of one request: the same instant everywhere in it. */
  now: Date;
  /** Plain names (`org`, `cursor`, `repositories.name`); undefined or null means "no value here". */
  values: Resolver;
  /** Unit of a bare number (`{now-1}`); default day. */
  timeUnit?: TimeUnit | undefined;
  /** Format when a macro names none; default iso. */
  dateFormat?: string | undefined;
}

/**
 * A resolver for macro expressions: tries each alternative in turn (time macros always have a
 * value; a name has one when `values` knows it and it is not null), then applies the format to
 * time values (a stored cursor that is a timestamp is formatted too).
 */
export function macroResolver(options: MacroOptions): Resolver {
  return (expression) => {
    const { alternatives, format } = parseMacro(expression);
    for (const alternative of alternatives) {
      let value: unknown;
      let time: Date | undefined;
      const shift = isTimeMacro(alternative) ? parseTimeMacro(alternative, options.timeUnit) : undefined;
      if (shift) {
        time = shiftTime(options.now, shift.amount, shift.unit);
      } else {
        value = options.values(alternative);
        if (value === undefined || value === null) continue;
        if (value instanceof Date) time = value;
      }
      const wanted = format ?? options.dateFormat;
      if (time) return formatInstant(time, wanted);
      if (wanted && typeof value === 'string' && /^\d{4}-\d{2}-\d{2}/.test(value) && !Number.isNaN(Date.parse(value))) {
        return formatInstant(new Date(value), wanted);
      }
      return value;
    }
    return undefined;
  };
}

/**
 * What is wrong with one placeholder expression, or undefined. `known(name)` says whether a
 * plain name can have a value (a string is the reason it cannot).
 */
export function macroProblem(expression: string, known: (name: string) => true | string): string | undefined {
  const { alternatives, format } = parseMacro(expression);
  if (format !== undefined) {
    const problem = formatProblem(format);
    if (problem) return `{${expression}}: ${problem}`;
  }
  for (const alternative of alternatives) {
    if (alternative === '') return `{${expression}}: an empty alternative (write {cursor|now-7d})`;
    if (isTimeMacro(alternative)) {
      try {
        if (!parseTimeMacro(alternative)) return `{${expression}}: "${alternative}" is not a time macro (write now, now-7d, now+1h, now-30m, now-1mo)`;
      } catch (error) {
        return (error as Error).message;
      }
      continue;
    }
    const verdict = known(alternative);
    if (verdict !== true) return `{${expression}}: ${verdict}`;
  }
  return undefined;
}
