import { headerValue, nodeAuthorization, peerCertificateDer, type RequestBinding } from '@scopeguard/core/adapter'
import type { Context } from 'koa'

/**
 * How the adapter kit reads a Koa context: `originalUrl` (the path as received, even where a
 * mount rewrote `ctx.path`), the `Authorization` lines from Node's `rawHeaders`, the body a
 * body parser left on `ctx.request.body`, and `ctx.state.auth`.
 */
export const koaBinding: RequestBinding<Context> = {
  authorization: (ctx) => nodeAuthorization(ctx.req),
  method: (ctx) => ctx.method,
  url: (ctx) => ctx.originalUrl,
  contentType: (ctx) => ctx.req.headers['content-type'],
  body: (ctx) => (ctx.request as { body?: unknown }).body,
  readResult: (ctx) => ctx.state.auth as unknown,
  writeResult: (ctx, result) => {
    ctx.state.auth = result as Context['state']['auth']
  },
  resultName: 'ctx.state.auth',
  header: (ctx, name) => headerValue(ctx.req.headers[name]),
  clientCertificate: (ctx) => peerCertificateDer(ctx.req.socket),
}
