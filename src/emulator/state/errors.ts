/** A rejected state change or lookup; routes turn the kind into the HTTP status Docker Hub uses. */
export type StateErrorKind = 'not_found' | 'conflict' | 'invalid' | 'forbidden';

export class StateError extends Error {
  constructor(
    readonly kind: StateErrorKind,
    message: string,
    /** Field-level detail for 400s (`{fields: {name: [...]}}`). */
    readonly fields?: Record<string, string[]>,
  ) {
    super(message);
    this.name = 'StateError';
  }
}
