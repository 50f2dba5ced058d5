import { accessSync, closeSync, constants, fsyncSync, ftruncateSync, mkdirSync, openSync, readdirSync, readFileSync, readlinkSync, statSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { hostname } from 'node:os';
import path from 'node:path';

/**
 * One process per embedded database, across containers and hosts that share DATA_DIR.
 *
 * The lock is an exclusive open-file-description lock (fcntl F_OFD_SETLK on Linux, flock on
 * macOS) on `dockerhub-sync.lock` in DATA_DIR: the kernel holds it for the file, not for a pid,
 * so two containers (both pid 1) or two hosts on one NFS volume see each other, and it goes away
 * with the process, however that ends (SIGKILL, OOM, a crashed host's NFS lease). Inside the
 * file the holder writes who it is; only the holder writes or clears it, and nobody deletes the
 * file (deleting a lock file lets two processes lock two different files of the same name).
 */

export const LOCK_FILE = 'dockerhub-sync.lock';

/** Who holds the embedded database: enough to find the process from anywhere. */
export interface LockHolder {
  host: string;
  /** The kernel's boot id: equal for processes under one running kernel (containers of one host). */
  bootId?: string | undefined;
  /** The PID namespace (`pid:[4026531836]`): pids compare only within one. */
  pidNamespace?: string | undefined;
  pid: number;
  /** Start time in clock ticks since boot (/proc/self/stat): with boot id and pid, one process. */
  startTicks?: number | undefined;
  startedAt: string;
  /** The command (no flags, no values: those may hold secrets). */
  command: string;
  since: string;
}

interface NativeLocks {
  tryLock(fd: number): boolean;
}

let native: NativeLocks | undefined;
function locks(): NativeLocks {
  native ??= createRequire(import.meta.url)('fs-native-extensions') as NativeLocks;
  return native;
}

function readOr<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}

/** `dockerhub-sync db serve`, `cli.ts sql`: the program and its command words, never flags or values. */
export function commandWords(argv: readonly string[] = process.argv): string {
  const words = [path.basename(argv[1] ?? 'node')];
  for (const word of argv.slice(2)) {
    if (!/^[a-z][a-z-]*$/.test(word) || words.length >= 3) break;
    words.push(word);
  }
  return words.join(' ');
}

/** This process as a holder record. */
export function currentHolder(now: Date = new Date()): LockHolder {
  const stat = readOr(() => readFileSync('/proc/self/stat', 'utf8'));
  // Fields after the command name (which may hold spaces) start at field 3; starttime is field 22.
  const startTicks = stat ? Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]) : undefined;
  return {
    host: hostname(),
    bootId: readOr(() => readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim()),
    pidNamespace: readOr(() => readlinkSync('/proc/self/ns/pid')),
    pid: process.pid,
    startTicks: Number.isFinite(startTicks) ? startTicks : undefined,
    startedAt: new Date(now.getTime() - Math.round(process.uptime() * 1000)).toISOString(),
    command: commandWords(),
    since: now.toISOString(),
  };
}

export function parseHolder(text: string | undefined): LockHolder | undefined {
  if (!text?.trim()) return undefined;
  try {
    const parsed = JSON.parse(text) as Partial<LockHolder>;
    if (typeof parsed.host === 'string' && typeof parsed.pid === 'number') return parsed as LockHolder;
  } catch {
    // A record cut short (a disk full while it was written): treated as unknown.
  }
  return undefined;
}

/** The holder recorded in DATA_DIR, read without taking or touching anything. */
export function readHolder(root: string): LockHolder | undefined {
  return parseHolder(readOr(() => readFileSync(path.join(root, LOCK_FILE), 'utf8')));
}

/** Where the holder is, as seen from this process. */
export function describeHolder(holder: LockHolder | undefined, self: LockHolder = currentHolder()): string {
  if (!holder) return 'a process that has not written its record yet (it is starting; try again in a moment)';
  const sameKernel = holder.bootId !== undefined && holder.bootId === self.bootId;
  const samePidSpace = sameKernel && holder.pidNamespace !== undefined && holder.pidNamespace === self.pidNamespace;
  const where = samePidSpace
    ? holder.pid === self.pid && holder.startTicks === self.startTicks
      ? `this process (pid ${holder.pid}), which has it open already`
      : `pid ${holder.pid} on this machine`
    : sameKernel
      ? `pid ${holder.pid} in another PID namespace on this machine (another container), host name ${holder.host}`
      : `pid ${holder.pid} on host ${holder.host}`;
  return `\`${holder.command}\`, ${where}, started ${holder.startedAt}`;
}

const NOT_WRITABLE = new Set(['EACCES', 'EPERM', 'EROFS']);

/** The message for a DATA_DIR this process cannot write: what is wrong and the ways to fix it. */
function notWritable(root: string, target: string, error: NodeJS.ErrnoException): Error {
  const uid = process.getuid?.() ?? 0;
  const gid = process.getgid?.() ?? 0;
  const owner = readOr(() => statSync(target));
  const create = readOr(() => statSync(root)) ? '' : `mkdir -p ${root} && `;
  const problem =
    error.code === 'EROFS'
      ? `is on a read-only file system (${target}; a \`:ro\` mount?)`
      : `is not writable by this process (uid ${uid}, gid ${gid}; ${target} belongs to uid ${owner?.uid ?? '?'}, gid ${owner?.gid ?? '?'})`;
  const fixes =
    error.code === 'EROFS'
      ? `mount it read-write`
      : `give it to this user: \`${create}chown -R ${uid}:${gid} ${root}\` (a Docker volume: \`docker run --rm --user 0 -v <volume>:${root} --entrypoint chown <image> -R ${uid}:${gid} ${root}\`)` +
        // Running as root to fit a root-owned folder is not a fix worth offering.
        (owner && owner.uid !== 0 ? `, or run as its owner (\`docker run --user ${owner.uid}:${owner.gid}\`)` : '');
  return new Error(
    `DATA_DIR ${root} ${problem}: the embedded database and its lock live there (${error.code}). ` +
      `To fix it, ${fixes}; or point DATA_DIR at a writable folder, or set DATABASE_URL to use Postgres instead.`,
  );
}

/**
 * Make sure DATA_DIR and its `pglite` folder exist and this process may write them, before
 * PGlite touches anything: a root-owned bind mount otherwise fails deep inside PGlite.
 */
export function ensureWritableDataDir(root: string): string {
  const dataDir = path.join(root, 'pglite');
  // Check before creating: Node's recursive mkdir reports a read-only file system as ENOENT.
  let existing = dataDir;
  while (!readOr(() => statSync(existing))) {
    const up = path.dirname(existing);
    if (up === existing) break;
    existing = up;
  }
  // What an earlier run as another user (root) may have left: the folders and PGlite's top level.
  const targets = [existing, root, dataDir, ...(readOr(() => readdirSync(dataDir)) ?? []).map((name) => path.join(dataDir, name))];
  for (const target of targets) {
    try {
      accessSync(target, constants.W_OK);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? '';
      if (NOT_WRITABLE.has(code)) throw notWritable(root, target, error as NodeJS.ErrnoException);
      if (code !== 'ENOENT') throw error;
    }
    if (target === existing) mkdirSync(dataDir, { recursive: true });
  }
  return dataDir;
}

export interface DataDirLock {
  readonly file: string;
  readonly holder: LockHolder;
  /** The record a holder left without releasing (it was killed, or its host died), if any. */
  readonly previous: LockHolder | undefined;
  /** Clear the record and let go (idempotent). Only the holder ever calls this. */
  release(): void;
}

/** Take DATA_DIR's lock, or fail with a message that names the holder. Never waits. */
export function lockDataDir(root: string, holder: LockHolder = currentHolder()): DataDirLock {
  const file = path.join(root, LOCK_FILE);
  let fd: number;
  try {
    // Never O_TRUNC: a process that does not get the lock must not touch the holder's record.
    fd = openSync(file, constants.O_RDWR | constants.O_CREAT, 0o644);
  } catch (error) {
    if (NOT_WRITABLE.has((error as NodeJS.ErrnoException).code ?? '')) throw notWritable(root, file, error as NodeJS.ErrnoException);
    throw error;
  }
  let locked: boolean;
  try {
    locked = locks().tryLock(fd);
  } catch (error) {
    closeSync(fd);
    throw new Error(
      `cannot lock ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}): the file system of DATA_DIR does not support file locks, ` +
        'so one writer cannot be guaranteed. Use a local volume (or NFS with locking), or set DATABASE_URL to use Postgres.',
    );
  }
  if (!locked) {
    closeSync(fd);
    throw new Error(
      `The embedded database in ${root} is in use by another dockerhub-sync process: ${describeHolder(readHolder(root), holder)}. ` +
        'Stop it, use another DATA_DIR, or set DATABASE_URL to share one Postgres between processes.',
    );
  }
  let previous: LockHolder | undefined;
  try {
    previous = parseHolder(readFileSync(file, 'utf8'));
    const record = Buffer.from(`${JSON.stringify(holder)}\n`);
    ftruncateSync(fd, 0);
    writeSync(fd, record, 0, record.length, 0);
    fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    throw error;
  }
  let released = false;
  return {
    file,
    holder,
    previous,
    release() {
      if (released) return;
      released = true;
      try {
        ftruncateSync(fd, 0);
      } finally {
        closeSync(fd);
      }
    },
  };
}
