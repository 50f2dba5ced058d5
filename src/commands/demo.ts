import type { CommandContext } from './context.js';

export async function demoCommand(ctx: CommandContext): Promise<number> {
  ctx.stderr.write('dockerhub-sync demo: not built yet in this version.\n');
  return 1;
}
