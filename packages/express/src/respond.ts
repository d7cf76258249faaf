import { errorBody, type AuthError, type ProtectedResourceMetadataEndpoint } from '@scopeguard/core'
import type { Response } from 'express'

/**
 * Answers a failed request: status, `WWW-Authenticate` (or `Retry-After`), and a small JSON
 * body. Written against Node's response API so it behaves the same on Express 4 and 5, and
 * nothing is logged: a 4xx is the client's business, not a server error.
 */
export function sendAuthError(res: Response, err: AuthError): void {
  res.statusCode = err.status
  for (const [name, value] of Object.entries(err.headers)) res.setHeader(name, value)
  res.setHeader('Cache-Control', 'no-store')
  res.setHeader('Content-Type', 'application/json; charset=utf-8')
  res.end(JSON.stringify(errorBody(err)))
}

/**
 * Answers an RFC 9728 metadata request with what was built at start-up: the document (no
 * body for `HEAD`), or the CORS preflight answer for `OPTIONS`.
 */
export function sendResourceMetadata(res: Response, metadata: ProtectedResourceMetadataEndpoint): void {
  const preflight = res.req.method === 'OPTIONS'
  res.statusCode = preflight ? 204 : 200
  for (const [name, value] of Object.entries(preflight ? metadata.preflightHeaders : metadata.headers)) res.setHeader(name, value)
  res.end(preflight || res.req.method === 'HEAD' ? undefined : metadata.body)
}
