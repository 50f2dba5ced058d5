// The frontend half of the Postgres wire protocol (version 3), checked before the embedded
// database sees a byte. PGlite is one Postgres backend running inside this process: a message it
// cannot frame (an unknown type, a negative length) makes it lose protocol synchronization for
// good and block the event loop, and COPY FROM STDIN ends the backend. So every client's bytes
// are cut into messages here; anything outside the protocol closes that client only.

export const SSL_REQUEST = 80877103;
export const GSSENC_REQUEST = 80877104;
export const CANCEL_REQUEST = 80877102;
export const PROTOCOL_3_0 = 196608;

/** Postgres refuses startup packets above this size (MAX_STARTUP_PACKET_LENGTH). */
const MAX_STARTUP_LENGTH = 10_000;
/** The largest message a client may send (a query text, a bound parameter): 64 MiB. */
export const MAX_MESSAGE_LENGTH = 64 * 1024 * 1024;

/**
 * The message types a client may send once started, that the embedded database handles:
 * Bind, Close, Describe, Execute, FunctionCall, Flush, Parse, Query, Sync, Terminate, and
 * CopyData (ignored outside COPY). Not CopyDone/CopyFail (COPY FROM STDIN is refused) nor
 * password messages (there is no authentication to answer).
 */
const MESSAGE_TYPES = new Set(['B', 'C', 'D', 'E', 'F', 'H', 'P', 'Q', 'S', 'X', 'd']);

export type Frame =
  | { kind: 'ssl' }
  | { kind: 'gssenc' }
  | { kind: 'cancel' }
  | { kind: 'startup'; bytes: Uint8Array; parameters: Record<string, string> }
  | { kind: 'message'; type: string; bytes: Uint8Array };

/** A client's bytes are not the Postgres protocol (or ask for something refused): close it. */
export class ProtocolError extends Error {
  /** SQLSTATE sent to the client in its last message. */
  readonly code: string;
  constructor(message: string, code = '08P01') {
    super(message);
    this.name = 'ProtocolError';
    this.code = code;
  }
}

/** COPY ... FROM STDIN (any spelling that names both words): the embedded database cannot take it. */
const COPY_FROM_STDIN = /\bcopy\b[\s\S]*\bstdin\b/i;

/** The query text of a Query ('Q') or Parse ('P') message, for the COPY check. */
function queryText(type: string, body: Buffer): string | undefined {
  if (type === 'Q') return body.toString('utf8');
  if (type === 'P') {
    const nameEnd = body.indexOf(0);
    return nameEnd < 0 ? '' : body.toString('utf8', nameEnd + 1);
  }
  return undefined;
}

/** Cuts one client's byte stream into checked frames; throws `ProtocolError` at the first bad one. */
export class FrameReader {
  private buffer = Buffer.alloc(0);
  private started = false;

  /** Frames completed by `chunk`, in order. */
  push(chunk: Uint8Array): Frame[] {
    this.buffer = this.buffer.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.buffer, chunk]);
    const frames: Frame[] = [];
    for (;;) {
      const frame = this.started ? this.message() : this.startup();
      if (!frame) return frames;
      frames.push(frame);
    }
  }

  private take(length: number): Buffer {
    const bytes = this.buffer.subarray(0, length);
    this.buffer = this.buffer.subarray(length);
    return Buffer.from(bytes);
  }

  private startup(): Frame | undefined {
    if (this.buffer.length < 4) return undefined;
    const length = this.buffer.readInt32BE(0);
    if (length < 8 || length > MAX_STARTUP_LENGTH) throw new ProtocolError(`invalid length of startup packet (${length})`);
    if (this.buffer.length < length) return undefined;
    const bytes = this.take(length);
    const code = bytes.readInt32BE(4);
    if (code === SSL_REQUEST && length === 8) return { kind: 'ssl' };
    if (code === GSSENC_REQUEST && length === 8) return { kind: 'gssenc' };
    if (code === CANCEL_REQUEST && length === 16) return { kind: 'cancel' };
    if (code !== PROTOCOL_3_0) throw new ProtocolError(`unsupported frontend protocol ${code >>> 16}.${code & 0xffff}: only 3.0 is served`, '0A000');
    const parameters: Record<string, string> = {};
    const fields = bytes.subarray(8).toString('utf8').split('\0');
    // key\0value\0 … \0: an even number of strings, then the empty one and the end of the packet.
    if (fields.length < 2 || fields.at(-1) !== '' || fields.at(-2) !== '' || (fields.length - 2) % 2 !== 0) {
      throw new ProtocolError('invalid startup packet layout: expected name/value pairs and a terminator');
    }
    for (let i = 0; i + 1 < fields.length - 2; i += 2) parameters[fields[i]!] = fields[i + 1]!;
    this.started = true;
    return { kind: 'startup', bytes: new Uint8Array(bytes), parameters };
  }

  private message(): Frame | undefined {
    if (this.buffer.length < 1) return undefined;
    const type = String.fromCharCode(this.buffer[0]!);
    if (!MESSAGE_TYPES.has(type)) {
      const shown = /^[\x21-\x7e]$/.test(type) ? `"${type}"` : `0x${this.buffer[0]!.toString(16).padStart(2, '0')}`;
      throw new ProtocolError(`invalid frontend message type ${shown}`);
    }
    if (this.buffer.length < 5) return undefined;
    const length = this.buffer.readInt32BE(1);
    if (length < 4 || length > MAX_MESSAGE_LENGTH) throw new ProtocolError(`invalid message length ${length} for message type "${type}"`);
    if (this.buffer.length < 1 + length) return undefined;
    const bytes = this.take(1 + length);
    const text = queryText(type, bytes.subarray(5));
    if (text !== undefined && COPY_FROM_STDIN.test(text)) {
      throw new ProtocolError('COPY ... FROM STDIN is not supported on the embedded database; use INSERT (or DATABASE_URL with a Postgres server)', '0A000');
    }
    return { kind: 'message', type, bytes: new Uint8Array(bytes) };
  }
}

/** A backend ErrorResponse ('E') with severity, SQLSTATE and message. */
export function errorResponse(severity: 'ERROR' | 'FATAL', code: string, message: string): Buffer {
  const fields = Buffer.from(`S${severity}\0V${severity}\0C${code}\0M${message}\0\0`, 'utf8');
  const head = Buffer.alloc(5);
  head.write('E', 0, 'ascii');
  head.writeInt32BE(4 + fields.length, 1);
  return Buffer.concat([head, fields]);
}

/** A simple-protocol Query message ('Q', length, text, NUL). */
export function queryMessage(text: string): Uint8Array {
  const body = Buffer.from(`${text}\0`, 'utf8');
  const message = Buffer.alloc(5 + body.length);
  message.write('Q', 0, 'ascii');
  message.writeInt32BE(4 + body.length, 1);
  body.copy(message, 5);
  return new Uint8Array(message);
}

/** What a simple query returned: its rows as text, and the first error, if any. */
export interface SimpleResult {
  rows: (string | null)[][];
  error?: string;
}

/** Read the DataRow and ErrorResponse messages of a backend's answer to a simple query. */
export function readSimpleResult(bytes: Buffer): SimpleResult {
  const rows: (string | null)[][] = [];
  let error: string | undefined;
  for (let at = 0; at + 5 <= bytes.length; ) {
    const type = String.fromCharCode(bytes[at]!);
    const length = bytes.readInt32BE(at + 1);
    const body = bytes.subarray(at + 5, at + 1 + length);
    if (type === 'D') {
      const count = body.readInt16BE(0);
      const row: (string | null)[] = [];
      for (let i = 0, p = 2; i < count; i++) {
        const size = body.readInt32BE(p);
        p += 4;
        if (size < 0) {
          row.push(null);
        } else {
          row.push(body.toString('utf8', p, p + size));
          p += size;
        }
      }
      rows.push(row);
    } else if (type === 'E' && error === undefined) {
      const message = body
        .toString('utf8')
        .split('\0')
        .find((field) => field.startsWith('M'));
      error = message?.slice(1) ?? 'error';
    }
    at += 1 + length;
  }
  return error === undefined ? { rows } : { rows, error };
}
