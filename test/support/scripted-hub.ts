import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A Docker Hub whose chosen paths answer what a test scripts, in front of the emulator: login and
 * every other path are passed through to it. For user-defined endpoints that must meet answers
 * the emulator never gives (a renamed field, a value no column can hold, a key listed twice).
 */
export interface ScriptedHub {
  url: string;
  /** The JSON body `path` (without query) answers from now on; a function answers per request (by its query). */
  answer(path: string, body: unknown): void;
  answer(path: string, reply: (url: URL) => ScriptedReply): void;
  /** Requests made to scripted paths, in order. */
  requests: string[];
  close(): Promise<void>;
}

/** One scripted answer: a JSON body (text as it is), a status and headers. */
export interface ScriptedReply {
  status?: number;
  headers?: Record<string, string>;
  body: unknown;
}

const asText = (body: unknown): string => (typeof body === 'string' ? body : JSON.stringify(body));

export async function startScriptedHub(upstream: string): Promise<ScriptedHub> {
  const answers = new Map<string, (url: URL) => ScriptedReply>();
  const requests: string[] = [];
  const target = new URL(upstream);
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const scripted = answers.get(url.pathname);
    if (scripted !== undefined) {
      requests.push(req.url ?? url.pathname);
      req.resume();
      const reply = scripted(url);
      const text = asText(reply.body);
      res.writeHead(reply.status ?? 200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...reply.headers });
      res.end(text);
      return;
    }
    const forward = request(
      { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: { ...req.headers, host: target.host } },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    answer: (path: string, body: unknown) => {
      answers.set(path, typeof body === 'function' ? (body as (url: URL) => ScriptedReply) : () => ({ body }));
    },
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
