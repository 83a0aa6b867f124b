/** Base class of everything the relay's cache throws on purpose. */
export class CacheError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'CacheError';
  }
}

/** The store cannot answer now (Redis down, reconnecting, or not started); the caller falls back. */
export class CacheUnavailableError extends CacheError {
  constructor(reason: string, options?: ErrorOptions) {
    super(`cache store unavailable: ${reason}`, options);
    this.name = 'CacheUnavailableError';
  }
}
