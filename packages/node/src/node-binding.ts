import type { IncomingMessage } from 'node:http'
import { headerValue, nodeAuthorization, peerCertificateDer, type RequestBinding } from '@scopeguard/core/adapter'
import { readResult, writeResult } from './auth-result-store.js'

/**
 * How the adapter kit reads a `node:http` request: the `Authorization` lines from
 * `rawHeaders`, the URL as received, the body a body parser left on `req.body`, and the
 * result in the store behind `authOf(req)`.
 */
export const nodeBinding: RequestBinding<IncomingMessage> = {
  authorization: nodeAuthorization,
  method: (req) => req.method,
  url: urlAsReceived,
  contentType: (req) => req.headers['content-type'],
  // Node parses no body; connect's and polka's body parsers leave theirs here.
  body: (req) => (req as { body?: unknown }).body,
  readResult,
  writeResult,
  resultName: 'authOf(req)',
  header: (req, name) => headerValue(req.headers[name]),
  clientCertificate: (req) => peerCertificateDer(req.socket),
}

/**
 * The request target before any mount point rewrote it: connect, polka and router strip a
 * mount path from `req.url` and keep the original in `req.originalUrl`; plain Node has only `req.url`.
 */
function urlAsReceived(req: IncomingMessage): string | undefined {
  const { originalUrl } = req as { originalUrl?: unknown }
  return typeof originalUrl === 'string' ? originalUrl : req.url
}
