import { headerValue, nodeAuthorization, peerCertificateDer, type RequestBinding } from '@scopeguard/core/adapter'
import type { Request } from 'express'
import { createRequestAuthSlot } from './request-auth-accessor.js'

/**
 * How the adapter kit reads an Express request: `originalUrl` (the path as received, even
 * where a mount rewrote `req.url`), the `Authorization` lines from `rawHeaders`, and
 * `req.auth` through its accessor (see request-auth-accessor.ts).
 */
export function expressBinding(): RequestBinding<Request> {
  const slot = createRequestAuthSlot()
  return {
    authorization: nodeAuthorization,
    method: (req) => req.method,
    url: (req) => req.originalUrl,
    contentType: (req) => req.headers['content-type'],
    body: (req) => req.body as unknown,
    readResult: (req) => slot.read(req),
    writeResult: (req, result) => slot.write(req, result),
    resultName: 'req.auth',
    header: (req, name) => headerValue(req.headers[name]),
    clientCertificate: (req) => peerCertificateDer(req.socket),
  }
}
