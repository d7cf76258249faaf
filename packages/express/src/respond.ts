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

/** Answers an RFC 9728 metadata request with the document built at start-up (no body for `HEAD`). */
export function sendResourceMetadata(res: Response, metadata: ProtectedResourceMetadataEndpoint): void {
  res.statusCode = 200
  for (const [name, value] of Object.entries(metadata.headers)) res.setHeader(name, value)
  res.end(res.req.method === 'HEAD' ? undefined : metadata.body)
}
