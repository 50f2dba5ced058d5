import type { CommandContext } from './context.js';

export async function syncCommand(ctx: CommandContext): Promise<number> {
  ctx.stderr.write('dockerhub-sync sync: not built yet in this version.\n');
  return 1;
}
