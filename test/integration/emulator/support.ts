// A tiny HTTP client for the emulator tests: plain fetch, parsed bodies, no retries, so the tests
// see exactly what the emulator answers.

import { request } from 'node:http';
import type { RunningEmulator } from '../../../src/emulator/index.js';

export interface Reply<T = any> {
  status: number;
  headers: Record<string, string>;
  body: T;
  text: string;
}

export interface CallOptions {
  token?: string;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface HubTestClient {
  call<T = any>(method: string, path: string, options?: CallOptions): Promise<Reply<T>>;
  get<T = any>(path: string, token?: string): Promise<Reply<T>>;
  token(identifier: string, secret: string): Promise<string>;
  /** A password JWT of the emulated user (owner of everything). */
  owner(): Promise<string>;
  /** A JWT derived from the user's PAT. */
  pat(): Promise<string>;
  /** A JWT derived from the OAT of `org` (default: first organization). */
  oat(org?: string): Promise<string>;
  /** A password JWT of a plain member of the first organization. */
  member(): Promise<string>;
}

export function hubClient(emu: RunningEmulator): HubTestClient {
  const call = async <T>(method: string, path: string, options: CallOptions = {}): Promise<Reply<T>> => {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${emu.url}${path}`, {
      method,
      headers,
      ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
    });
    const text = await response.text();
    let body: unknown = text;
    if ((response.headers.get('content-type') ?? '').includes('json') && text !== '') body = JSON.parse(text);
    return { status: response.status, headers: Object.fromEntries(response.headers), body: body as T, text };
  };
  const token = async (identifier: string, secret: string): Promise<string> => {
    const reply = await call<{ access_token: string }>('POST', '/v2/auth/token', { body: { identifier, secret } });
    if (reply.status !== 200) throw new Error(`login as ${identifier} failed: ${reply.status} ${reply.text}`);
    return reply.body.access_token;
  };
  const { credentials } = emu;
  return {
    call,
    get: (path, bearer) => call('GET', path, bearer ? { token: bearer } : {}),
    token,
    owner: () => token(credentials.username, credentials.password),
    pat: () => token(credentials.username, credentials.pat),
    oat: (org = credentials.oat[0]?.org ?? '') => token(org, credentials.oat.find((o) => o.org === org)?.token ?? ''),
    member: () => token(credentials.member.username, credentials.member.password),
  };
}

/** GET with an explicit Host header (fetch does not let a caller set it). */
export function getWithHost(emu: RunningEmulator, path: string, host: string, token?: string): Promise<Reply> {
  const url = new URL(emu.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path, method: 'GET', headers: { host, ...(token ? { authorization: `Bearer ${token}` } : {}) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers as Record<string, string>, body: text ? JSON.parse(text) : undefined, text });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/** Every page of a `{count, next, results}` listing, following `next` (rebased on the emulator's URL). */
export async function allPages<T = any>(client: HubTestClient, path: string, token?: string): Promise<{ items: T[]; pages: Reply[] }> {
  const items: T[] = [];
  const pages: Reply[] = [];
  let next: string | null = path;
  while (next) {
    const reply: Reply = await client.get(next, token);
    if (reply.status !== 200) throw new Error(`GET ${next}: ${reply.status} ${reply.text}`);
    pages.push(reply);
    items.push(...(reply.body.results as T[]));
    next = reply.body.next ? new URL(reply.body.next).pathname + new URL(reply.body.next).search : null;
  }
  return { items, pages };
}
