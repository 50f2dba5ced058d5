/**
 * A benchmark's child processes get an environment of their own: what a process needs to run
 * (PATH, HOME, temp folder, locale) plus what the benchmark sets. Nothing else from the caller's
 * shell reaches them: a DOCKERHUB_TOKEN, DATABASE_URL or SCHEDULES exported for daily work would
 * otherwise log in to the emulator with the wrong credential or write into the wrong database.
 */

/** Variables passed through from the caller: how to find programs and where temporary files go. */
export const PASSED_THROUGH = ['PATH', 'HOME', 'TMPDIR', 'TMP', 'TEMP', 'LANG', 'LC_ALL', 'SYSTEMROOT', 'SystemRoot'] as const;

export function benchChildEnv(set: Record<string, string>, caller: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of PASSED_THROUGH) {
    const value = caller[name];
    if (value !== undefined) env[name] = value;
  }
  return { ...env, ...set };
}
