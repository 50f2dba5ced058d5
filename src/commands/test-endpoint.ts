import type { CommandContext } from './context.js';

export async function testEndpointCommand(ctx: CommandContext): Promise<number> {
  ctx.stderr.write('dockerhub-sync test-endpoint: not built yet in this version.\n');
  return 1;
}
