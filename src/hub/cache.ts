// A small in-memory TTL cache for GET responses. undici 7's interceptors.cache follows HTTP
// caching headers, and Hub sends none, so it would never store anything; this one is keyed by
// credential identity + URL so two credentials never see each other's answers.

export interface CacheOptions {
  ttlMs: number;
  /** Oldest entries go first when full. */
  maxEntries?: number;
}

export interface CachedResponse {
  status: number;
  headers: Record<string, string>;
  /** Stored as text so every hit parses into a fresh object the caller may mutate. */
  text: string;
  url: string;
}

export class ResponseCache {
  readonly #entries = new Map<string, { value: CachedResponse; expiresAt: number }>();
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  readonly #now: () => number;

  constructor(options: CacheOptions, now: () => number) {
    this.#ttlMs = options.ttlMs;
    this.#maxEntries = options.maxEntries ?? 1000;
    this.#now = now;
  }

  static key(identity: string, url: string): string {
    return `${identity}\u0000${url}`;
  }

  get(key: string): CachedResponse | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.#now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  set(key: string, value: CachedResponse): void {
    this.#entries.delete(key);
    this.#entries.set(key, { value, expiresAt: this.#now() + this.#ttlMs });
    while (this.#entries.size > this.#maxEntries) {
      const oldest = this.#entries.keys().next().value;
      if (oldest === undefined) break;
      this.#entries.delete(oldest);
    }
  }

  clear(): void {
    this.#entries.clear();
  }

  get size(): number {
    return this.#entries.size;
  }
}
