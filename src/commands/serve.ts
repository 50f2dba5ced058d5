import type { CommandContext } from './context.js';

export async function serveCommand(ctx: CommandContext): Promise<number> {
  ctx.stderr.write('dockerhub-sync serve: not built yet in this version.\n');
  return 1;
}
