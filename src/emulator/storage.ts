// An object-storage stand-in on a port of its own (another origin than the API): it serves the
// report CSVs the Enterprise Data API's download redirects to, under signed links that expire
// after 15 minutes on the emulator's clock. A request that carries an Authorization header is a
// violation of the one rule a client must keep (our bearer never leaves the API's origin): it is
// recorded, for the test to fail on, and answered 400.

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Clock } from './clock.js';

/** How long a signed link is valid, as Docker documents for the report downloads. */
export const LINK_TTL_MS = 15 * 60_000;

export interface StorageViolation {
  path: string;
  header: 'authorization' | 'cookie';
  at: number;
}

export interface ObjectStorage {
  /** `http://127.0.0.1:<port>`. */
  url: string;
  /** Requests that carried a credential (each was answered 400). */
  readonly violations: StorageViolation[];
  /** Objects served (200). */
  readonly downloads: string[];
  /** Requests refused because their link had expired. */
  readonly expired: string[];
  /** A signed link to an object, valid LINK_TTL_MS from now (or already expired, see expireNextLinks). */
  sign(key: string): string;
  /** The next `count` links are issued already expired (a slow client, a paused process). */
  expireNextLinks(count: number): void;
  /**
   * Objects are sent in chunks without Content-Length (as a re-encoding proxy might), so only
   * the bytes as they arrive tell a client how large one is. Off by default.
   */
  chunked: boolean;
  close(): Promise<void>;
}

/** Starts the stand-in; `read(key)` gives an object's bytes (undefined: no such object). */
export async function startObjectStorage(options: { host: string; clock: Clock; read: (key: string) => string | undefined }): Promise<ObjectStorage> {
  const { clock, read } = options;
  const secret = randomBytes(32);
  const violations: StorageViolation[] = [];
  const downloads: string[] = [];
  const expired: string[] = [];
  let expireNext = 0;
  const signature = (key: string, expiresMs: number) => createHmac('sha256', secret).update(`${key}\n${expiresMs}`).digest('base64url');

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://storage');
    const key = decodeURIComponent(url.pathname.replace(/^\/reports\//, ''));
    const reply = (status: number, body: string, type = 'application/xml') => {
      res.writeHead(status, { 'content-type': type, 'content-length': String(Buffer.byteLength(body)) });
      res.end(body);
    };
    for (const header of ['authorization', 'cookie'] as const) {
      if (req.headers[header] !== undefined) {
        violations.push({ path: url.pathname, header, at: clock.now() });
        return reply(400, s3Error('InvalidArgument', `Only one auth mechanism allowed; a signed link must not carry an ${header} header`));
      }
    }
    const expiresMs = Number(url.searchParams.get('X-Emulator-Expires'));
    const given = Buffer.from(url.searchParams.get('X-Emulator-Signature') ?? '');
    const wanted = Buffer.from(signature(key, expiresMs));
    if (!Number.isFinite(expiresMs) || given.length !== wanted.length || !timingSafeEqual(given, wanted)) {
      return reply(403, s3Error('SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided.'));
    }
    if (clock.now() >= expiresMs) {
      expired.push(key);
      return reply(403, s3Error('AccessDenied', 'Request has expired'));
    }
    const body = read(key);
    if (body === undefined) return reply(404, s3Error('NoSuchKey', 'The specified key does not exist.'));
    downloads.push(key);
    const bytes = Buffer.from(body);
    res.writeHead(200, { 'content-type': 'text/csv', ...(storage.chunked ? {} : { 'content-length': String(bytes.length) }) });
    void sendInChunks(res, bytes);
  });
  // A large object read slowly (its reader loads it into a database as it comes) may still sit in
  // the kernel's buffers when the last byte is written: Node's 5 s keep-alive timer, which starts
  // then, must not cut it off.
  server.keepAliveTimeout = 120_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  const url = `http://${host}:${port}`;
  const storage: ObjectStorage = {
    url,
    chunked: false,
    violations,
    downloads,
    expired,
    sign(key) {
      const expiresMs = expireNext > 0 ? clock.now() - 1 : clock.now() + LINK_TTL_MS;
      if (expireNext > 0) expireNext--;
      const path = key.split('/').map(encodeURIComponent).join('/');
      return `${url}/reports/${path}?X-Emulator-Expires=${expiresMs}&X-Emulator-Signature=${signature(key, expiresMs)}`;
    },
    expireNextLinks(count) {
      expireNext = count;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
  return storage;
}

/** A body in 64 KiB chunks, each written when the client has taken the last (backpressure). */
async function sendInChunks(res: ServerResponse, body: Buffer): Promise<void> {
  const CHUNK = 64 * 1024;
  for (let at = 0; at < body.length && !res.destroyed; at += CHUNK) {
    if (res.write(body.subarray(at, at + CHUNK))) continue;
    await new Promise<void>((resolve) => {
      const done = () => {
        res.off('drain', done).off('close', done);
        resolve();
      };
      res.on('drain', done).on('close', done);
    });
  }
  res.end();
}

function s3Error(code: string, message: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`;
}
