import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** `serve`'s HTTP port when neither PORT, `port` in the config nor `--port` says otherwise. */
export const DEFAULT_HTTP_PORT = 8080;

/**
 * Where `serve` notes the port its HTTP server listens on, for `dockerhub-sync healthcheck`: the
 * container's HEALTHCHECK is fixed in the image and cannot see `serve --port N` or a config file's
 * port. One note per user in the temp folder (a container has one `serve`).
 */
export function servePortFile(tmpDir: string = os.tmpdir(), uid: number = process.getuid?.() ?? 0): string {
  return path.join(tmpDir, `dockerhub-sync-serve-${uid}.json`);
}

export function recordServePort(port: number, file: string = servePortFile()): void {
  writeFileSync(file, `${JSON.stringify({ pid: process.pid, port })}\n`);
}

/** Remove the note if it is this process's (another `serve` may have written it since). */
export function clearServePort(file: string = servePortFile()): void {
  if (readServePort(file)?.pid === process.pid) rmSync(file, { force: true });
}

export function readServePort(file: string = servePortFile()): { pid: number; port: number } | undefined {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as { pid?: unknown; port?: unknown };
    if (typeof parsed.pid === 'number' && typeof parsed.port === 'number') return { pid: parsed.pid, port: parsed.port };
  } catch {
    // No note: no `serve` has listened here.
  }
  return undefined;
}
