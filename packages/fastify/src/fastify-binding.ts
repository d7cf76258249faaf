import type { AuthResult } from '@scopeguard/core'
import { headerValue, nodeAuthorization, peerCertificateDer, type RequestBinding } from '@scopeguard/core/adapter'
import type { FastifyRequest } from 'fastify'

/**
 * How the adapter kit reads a Fastify request: the `Authorization` lines from Node's
 * `rawHeaders` (Fastify's `request.headers` keeps only the first), `originalUrl` (the target
 * as received, before a `rewriteUrl` changed it), the body a content-type parser left on
 * `request.body`, `request.auth` (which the plugin declares with `decorateRequest`), and any
 * other header (the kit asks for `Access-Control-Request-Method`, to let CORS preflights on).
 */
export const fastifyBinding: RequestBinding<FastifyRequest> = {
  authorization: (request) => nodeAuthorization(request.raw),
  method: (request) => request.method,
  url: (request) => request.originalUrl,
  contentType: (request) => request.headers['content-type'],
  body: (request) => request.body,
  readResult: (request) => request.auth,
  writeResult: (request, result) => {
    request.auth = result as AuthResult
  },
  resultName: 'request.auth',
  // Fastify has no app.use(): the plugin is registered, and requireScopes() is a hook after its own.
  mountHint:
    'register the auth() plugin before this route (await app.register(auth({...}))) and use requireScopes() as a preHandler ' +
    "hook, which runs after the plugin's hook (onRequest, or preValidation with acceptBodyToken)",
  header: (request, name) => headerValue(request.headers[name]),
  clientCertificate: (request) => peerCertificateDer(request.raw.socket),
}
