/**
 * What the key source reports to operators through the `onEvent` option, so they can log or
 * alert. Nothing is logged by default. `error` values may name upstream URLs and reasons:
 * they are for logs, never for clients.
 */
export type KeySourceEvent =
  /** A JWKS was fetched; `skipped` keys could not be used (wrong type, too weak, `use: enc`...). */
  | { readonly type: 'keys_fetched'; readonly issuer: string; readonly url: string; readonly keys: number; readonly skipped: number }
  /** Issuer metadata was fetched and named this JWKS location. */
  | { readonly type: 'metadata_fetched'; readonly issuer: string; readonly jwksUri: string }
  /** A fetch of metadata or keys failed; it is retried no sooner than `retryIn` ms. */
  | { readonly type: 'refresh_failed'; readonly issuer: string; readonly resource: 'metadata' | 'jwks'; readonly error: unknown; readonly retryIn: number }
  /** Keys older than their maximum age keep serving because refreshing them failed. */
  | { readonly type: 'serving_stale'; readonly issuer: string; readonly age: number }
  /** No usable keys: requests needing them are answered with `unavailableStatus` (503). */
  | { readonly type: 'keys_unavailable'; readonly issuer: string; readonly error: unknown }

/** Receives {@link KeySourceEvent}s. Exceptions it throws are ignored. */
export type KeySourceEventHandler = (event: KeySourceEvent) => void

/** Calls the handler, never letting its failure reach a request. */
export function emitter(handler: KeySourceEventHandler | undefined): (event: KeySourceEvent) => void {
  if (handler === undefined) return () => {}
  return (event) => {
    try {
      handler(event)
    } catch {
      // An operator's logging hook must not turn into a failed request.
    }
  }
}
