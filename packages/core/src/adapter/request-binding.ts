import { authorizationLines } from '../request/bearer-request.js'
export { peerCertificateDer } from '../sender/certificate-thumbprint.js'

/**
 * How an adapter shows the kit a request of its framework. `K` is whatever the framework
 * hands a middleware for one request (Express's `req`, Koa's `ctx`, a Fetch `Request`…); the
 * kit passes it back to these functions and uses it as the request's identity.
 */
export interface RequestBinding<K extends object> {
  /**
   * Every `Authorization` line of the request, in order: RFC 6750 §3.1 makes a repeated
   * credential `invalid_request`, so a framework that joins repeated lines must not be asked
   * for its joined value (on `node:http`, use {@link nodeAuthorization}).
   */
  authorization(request: K): string | readonly string[] | undefined
  /** The request method, upper case. */
  method(request: K): string | undefined
  /** The request target (`/path?query`) as received, before any mount point rewrote it. */
  url(request: K): string | undefined
  /** The `Content-Type` header; read only when body tokens are accepted. */
  contentType(request: K): string | undefined
  /** The parsed body, if the application parsed one; read only when body tokens are accepted. */
  body(request: K): unknown
  /**
   * Reads the body, for a framework that parses bodies asynchronously (Hono, the Fetch API);
   * used instead of {@link body} when given. Called only when body tokens are accepted and the
   * request may carry one (RFC 6750 §2.2: a form-urlencoded body on a method that has one),
   * so other requests are never delayed. It must leave the body readable by the application
   * (a parsed value the framework caches). A rejection is handed to the framework's error
   * handling as it is (an `error` decision), as a failed read in the route would be.
   */
  readBody?(request: K): Promise<unknown>
  /** Reads the authentication result stored on the request (what the application reads). */
  readResult(request: K): unknown
  /** Stores the authentication result on the request, where the application reads it. */
  writeResult(request: K, result: unknown): void
  /** How the application spells that place, for messages: `req.auth`, `ctx.state.auth`. */
  readonly resultName: string
  /**
   * How an application mounts the app-wide `auth()` in this framework, for the message of a
   * `requireScopes()` that ran without it. Default: `add app.use(auth({...})) before this route`.
   */
  readonly mountHint?: string
  /**
   * A request header by its lower-case name. Read only for a request refused for want of a
   * token, to let a CORS preflight through; without it, preflights are refused like any
   * request without a token.
   */
  header?(request: K, name: string): string | undefined
  /**
   * The DER bytes of the client certificate of the request's TLS connection, if any (on
   * `node:http`, `peerCertificateDer(req.socket)` of the socket). Read only for a token bound to a
   * certificate (RFC 8705 §3); without it such tokens are refused.
   */
  clientCertificate?(request: K): Uint8Array | undefined
}

/** The parts of a `node:http` `IncomingMessage` the kit reads. */
export interface NodeRequestLike {
  readonly rawHeaders: readonly string[]
  readonly headers: { readonly 'content-type'?: string | undefined }
}

/**
 * Every `Authorization` line of a `node:http` request. Node keeps only the first in
 * `req.headers.authorization`, so the lines are read from `rawHeaders`.
 */
export function nodeAuthorization(req: NodeRequestLike): string | string[] | undefined {
  return authorizationLines(req.rawHeaders)
}

/** A `node:http` header value as one string (repeated lines joined, as Node does for most headers). */
export function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value
}
