import type { AuthResult } from '@scopeguard/core'
import { nodeAuthorization, type NodeRequestLike, peerCertificateDer, type RequestBinding } from '@scopeguard/core/adapter'
import type { Context } from 'hono'

/**
 * Every `Authorization` line of the request, as well as the runtime lets us see them.
 *
 * RFC 6750 §3.1 makes a repeated credential `invalid_request`, but the Fetch API's
 * `Headers.get()` joins repeated lines with ", ", so one line cannot be told from two. On
 * `@hono/node-server` the Node request is at `c.env.incoming`, whose `rawHeaders` keep every
 * line: read them there. Elsewhere (Bun, Deno, Cloudflare Workers, `app.request()`) the
 * joined value is all there is; a comma is outside the RFC 6750 b64token grammar, so two
 * joined credentials are refused as malformed (400 `invalid_request`) and never accepted.
 */
export function honoAuthorization(c: Context): string | readonly string[] | undefined {
  const incoming = nodeRequestOf(c)
  if (incoming !== undefined) return nodeAuthorization(incoming)
  return c.req.raw.headers.get('authorization') ?? undefined
}

/** The `node:http` request behind `c`, when `@hono/node-server` serves the app. */
function nodeRequestOf(c: Context): NodeRequestLike | undefined {
  // `c.env` is whatever the runtime passes to `app.fetch`: Node's bindings, Workers'
  // bindings, Bun's server, or nothing. Only an object with `rawHeaders` is a Node request.
  const incoming = (c.env as { incoming?: { rawHeaders?: unknown } } | undefined)?.incoming
  return Array.isArray(incoming?.rawHeaders) ? (incoming as NodeRequestLike) : undefined
}

/**
 * The request target (`/path?query`) of an absolute request URL. Hono's `c.req.url` is
 * absolute and is never rewritten by `app.route()` or `basePath()`, so its path is the path
 * as received.
 */
export function requestTarget(url: string): string {
  // Past "scheme://" and at least one character of host, as Hono's own getPath does.
  const start = url.indexOf('/', url.indexOf(':') + 4)
  return start === -1 ? '/' : url.slice(start)
}

/**
 * How the adapter kit reads a Hono request: the `Authorization` lines (see
 * {@link honoAuthorization}), the target of `c.req.url`, the form body through Hono's own
 * parser, other headers from the Fetch `Headers`, and `c.get('auth')`.
 */
export const honoBinding: RequestBinding<Context> = {
  authorization: honoAuthorization,
  method: (c) => c.req.method,
  url: (c) => requestTarget(c.req.url),
  contentType: (c) => c.req.raw.headers.get('content-type') ?? undefined,
  body: () => undefined,
  // Hono parses bodies asynchronously; the kit asks only when a body token may be in it.
  // `all: true` keeps a repeated `access_token` as an array (RFC 6750 §3.1: `invalid_request`).
  // Hono caches the parsed body, so the route can still call `c.req.parseBody()`.
  readBody: (c) => c.req.parseBody({ all: true }),
  readResult: (c) => c.get('auth') as unknown,
  writeResult: (c, result) => {
    c.set('auth', result as AuthResult)
  },
  resultName: "c.get('auth')",
  // Read for a CORS preflight refused for want of a token, and for DPoP proofs.
  header: (c, name) => c.req.raw.headers.get(name) ?? undefined,
  // On Node (@hono/node-server) the TLS socket is `c.env.incoming.socket`; other runtimes
  // expose no client certificate, so certificate-bound tokens are refused there.
  clientCertificate: (c) => peerCertificateDer((c.env as { incoming?: { socket?: unknown } } | undefined)?.incoming?.socket),
}
