import type { CommandContext } from './context.js';

export async function emulatorCommand(ctx: CommandContext): Promise<number> {
  ctx.stderr.write('dockerhub-sync emulator: not built yet in this version.\n');
  return 1;
}
