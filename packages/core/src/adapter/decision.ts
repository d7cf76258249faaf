import { errorBody, isAuthError, type AuthError } from '../errors/errors.js'
import type { ProtectedResourceMetadataEndpoint } from '../metadata/protected-resource-metadata.js'

/**
 * What an adapter does with a request once the kit has decided. Adapters only translate it:
 * `continue` → call the next handler (after setting `headers`, if any); `reply` → answer with
 * this status, headers and body and stop; `error` → hand the error to the framework's error
 * handling (Express `next(err)`, Koa and Hono: throw or reject, Fastify: `reply.send(err)`).
 */
export type Decision = ContinueDecision | ReplyDecision | ErrorDecision

/** Go on to the next handler; the result, if any, is already stored on the request. */
export interface ContinueDecision {
  readonly kind: 'continue'
  /** Response headers to set before going on (e.g. `Cache-Control: private`), if any. */
  readonly headers: Readonly<Record<string, string>> | undefined
}

/** Answer the request now, without calling the next handler. */
export interface ReplyDecision {
  readonly kind: 'reply'
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  /** The body, already serialised; `undefined` for none (`HEAD`, `204`). */
  readonly body: string | undefined
  /** The failure this reply answers, for logs; never to be sent. */
  readonly failure?: AuthError
}

/** Hand this error to the framework's error handling (`handleErrors: false`, or a wiring mistake). */
export interface ErrorDecision {
  readonly kind: 'error'
  readonly error: unknown
}

/** Go on, nothing to add. The same object every time: comparing with it is the fast path. */
export const CONTINUE: ContinueDecision = Object.freeze({ kind: 'continue', headers: undefined })

// RFC 6750 §2.3: success responses to requests carrying the token in the query SHOULD be
// marked private.
export const CONTINUE_PRIVATE: ContinueDecision = Object.freeze({ kind: 'continue', headers: Object.freeze({ 'Cache-Control': 'private' }) })

/**
 * The decision for a failure: the RFC 6750 answer (status, `WWW-Authenticate` or
 * `Retry-After`, a small JSON body, never cached), or the error itself for the application
 * when `handleErrors` is false or it is not an {@link AuthError}.
 */
export function failureDecision(err: unknown, handleErrors: boolean): ReplyDecision | ErrorDecision {
  if (!handleErrors || !isAuthError(err)) return { kind: 'error', error: err }
  return errorReply(err)
}

function errorReply(err: AuthError): ReplyDecision {
  return {
    kind: 'reply',
    status: err.status,
    headers: { ...err.headers, 'Cache-Control': 'no-store', 'Content-Type': 'application/json; charset=utf-8' },
    body: JSON.stringify(errorBody(err)),
    failure: err,
  }
}

/** The three answers of the RFC 9728 metadata endpoint, built once. */
export interface MetadataReplies {
  readonly get: ReplyDecision
  readonly head: ReplyDecision
  readonly preflight: ReplyDecision
}

/** Builds the answers to `GET`, `HEAD` and the CORS preflight (`OPTIONS`, 204) of the metadata document. */
export function metadataReplies(metadata: ProtectedResourceMetadataEndpoint): MetadataReplies {
  return {
    get: Object.freeze({ kind: 'reply', status: 200, headers: metadata.headers, body: metadata.body }),
    head: Object.freeze({ kind: 'reply', status: 200, headers: metadata.headers, body: undefined }),
    preflight: Object.freeze({ kind: 'reply', status: 204, headers: metadata.preflightHeaders, body: undefined }),
  }
}
