import { openDatabase } from '../db/client.js';
import { migrateDatabase } from '../db/migrate.js';
import { databaseOptions, type CommandContext } from './context.js';

export async function migrateCommand(ctx: CommandContext): Promise<number> {
  const database = await openDatabase(databaseOptions(ctx));
  try {
    const result = await migrateDatabase(database, ctx.logger, { readerRole: ctx.config.databaseReaderRole });
    const applied = result.after - result.before;
    ctx.stdout.write(
      applied > 0
        ? `Applied ${applied} migration(s) to ${database.location}; ${result.after} of ${result.total} applied.\n`
        : `Database ${database.location} is up to date (${result.after} of ${result.total} migrations applied).\n`,
    );
    return 0;
  } finally {
    await database.close();
  }
}
