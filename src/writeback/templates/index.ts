import { memberTemplates } from './members.js';
import { repositoryTemplates } from './repositories.js';
import { teamTemplates } from './teams.js';
import { tokenTemplates } from './tokens.js';
import type { WritebackTemplate } from './types.js';

export type { WritebackTemplate } from './types.js';

/** Every built-in write-back template, in the order the docs list them. */
export const writebackTemplates: readonly WritebackTemplate[] = [...repositoryTemplates, ...tokenTemplates, ...teamTemplates, ...memberTemplates];

export function templateNamed(name: string): WritebackTemplate | undefined {
  return writebackTemplates.find((t) => t.name === name);
}
