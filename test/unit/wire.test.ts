import { describe, expect, it } from 'vitest';
import { FrameReader, ProtocolError, readSimpleResult } from '../../src/db/wire.js';

function startup(): Buffer {
  const body = Buffer.from('\0\x03\0\0user\0postgres\0\0', 'latin1');
  return Buffer.concat([Buffer.from([0, 0, 0, body.length + 4]), body]);
}

function message(type: string, body: string, length = Buffer.byteLength(body) + 4): Buffer {
  const head = Buffer.alloc(5);
  head.write(type, 0, 'latin1');
  head.writeInt32BE(length, 1);
  return Buffer.concat([head, Buffer.from(body, 'latin1')]);
}

describe('the SQL port frames what a client sends before the database sees it', () => {
  it('takes an SSL request, a startup packet and messages, however the bytes are cut', () => {
    const stream = Buffer.concat([Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]), startup(), message('Q', 'SELECT 1\0'), message('S', '')]);
    for (let cut = 1; cut < stream.length; cut++) {
      const reader = new FrameReader();
      const frames = [...reader.push(stream.subarray(0, cut)), ...reader.push(stream.subarray(cut))];
      expect(frames.map((f) => (f.kind === 'message' ? f.type : f.kind)), `cut at ${cut}`).toEqual(['ssl', 'startup', 'Q', 'S']);
    }
    const started = new FrameReader().push(startup())[0];
    expect(started).toMatchObject({ kind: 'startup', parameters: { user: 'postgres' } });
  });

  it('refuses what PGlite cannot take: unknown types, bad lengths, COPY FROM STDIN, broken startup packets', () => {
    const after = (bytes: Buffer) => () => new FrameReader().push(Buffer.concat([startup(), bytes]));
    expect(after(message('Z', 'abc'))).toThrow(/invalid frontend message type "Z"/);
    expect(after(Buffer.from([0x00, 0, 0, 0, 4]))).toThrow(/invalid frontend message type 0x00/);
    expect(after(message('Q', 'SELECT 1\0', -5))).toThrow(/invalid message length -5/);
    expect(after(message('Q', '', 3))).toThrow(/invalid message length 3/);
    expect(after(message('Q', '', 0x7fffffff))).toThrow(/invalid message length 2147483647/);
    expect(after(message('c', ''))).toThrow(/invalid frontend message type "c"/);
    expect(after(message('p', 'secret\0'))).toThrow(/invalid frontend message type "p"/);
    expect(after(message('Q', 'copy t from stdin\0'))).toThrow(/COPY \.\.\. FROM STDIN is not supported/);
    expect(after(message('P', 's1\0COPY "t" FROM\n  STDIN WITH (FORMAT csv)\0\0\0'))).toThrow(ProtocolError);
    expect(() => new FrameReader().push(Buffer.from([0xff, 0xff, 0xff, 0xf0]))).toThrow(/invalid length of startup packet/);
    expect(() => new FrameReader().push(Buffer.from([0, 0, 0, 8, 0, 9, 0, 0]))).toThrow(/unsupported frontend protocol 9\.0/);
    expect(() => new FrameReader().push(Buffer.concat([Buffer.from([0, 0, 0, 21, 0, 3, 0, 0]), Buffer.from('user\0postgres')]))).toThrow(/invalid startup packet layout/);
    // COPY TO STDOUT is answered by PGlite as Postgres does.
    expect(after(message('Q', 'COPY t TO STDOUT\0'))()).toHaveLength(2);
  });

  it('reads rows and the first error of a simple query answer', () => {
    const row = Buffer.concat([Buffer.from('D'), Buffer.from([0, 0, 0, 19, 0, 2, 0, 0, 0, 3]), Buffer.from('abc'), Buffer.from([0xff, 0xff, 0xff, 0xff])]);
    row.writeInt32BE(row.length - 1, 1);
    const error = message('E', 'SERROR\0C42601\0Mbad\0\0');
    expect(readSimpleResult(Buffer.concat([row, error]))).toEqual({ rows: [['abc', null]], error: 'bad' });
  });
});
