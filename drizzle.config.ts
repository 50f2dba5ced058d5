import { defineConfig } from 'drizzle-kit';

// Migrations are generated from src/db/schema and committed; they are applied by the
// migrator at start (`dockerhub-sync migrate`), never with `drizzle-kit push`.
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/db/schema/index.ts',
  out: './migrations',
  schemaFilter: ['dockerhub'],
  migrations: { schema: 'drizzle', table: '__dockerhub_sync_migrations' },
});
