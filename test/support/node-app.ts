import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http'
import type { AuthOptions } from '@scopeguard/core'
import { auth, authOf, requireAuth, requireScopes, type NodeMiddleware } from '@scopeguard/node'
import { ROUTES, type AppErrorShape, type GuardStyle } from './adapters.js'

/**
 * The conformance app on plain `node:http`: a request listener with a route table, no
 * framework. `app-wide` runs the connect-style `auth()` in front of the table and the
 * standalone requireScopes() on each route, failures going to `next(err)`; `route` wraps each
 * route's listener with `authenticate.protect()` (scopes on ROUTES, none on `/me`), failures
 * going to `onError`. Both hand errors to one renderer (handleErrors: false); a small
 * urlencoded body reader leaves `req.body` as a body parser would, for acceptBodyToken.
 */
export function nodeApp(options: AuthOptions, style: GuardStyle): RequestListener {
  const authenticate = auth({ ...options, onError: renderError })
  const me: RequestListener = (req, res) => {
    const result = authOf(req)
    sendJson(res, 200, { auth: result === undefined ? null : { ...result, scopes: [...result.scopes] } })
  }
  const routes = new Map<string, RequestListener>()
  routes.set('/me', style === 'app-wide' ? me : authenticate.protect(me))
  for (const [path, requirement] of Object.entries(ROUTES)) {
    const handler: RequestListener = (req, res) => {
      const { claims, scopes } = requireAuth(req)
      sendJson(res, 200, { sub: claims.sub, scopes: [...scopes] })
    }
    routes.set(path, style === 'app-wide' ? chain(requireScopes(...requirement), handler) : authenticate.protect(requirement, handler))
  }
  const router: RequestListener = (req, res) => {
    const route = routes.get((req.url ?? '/').split('?', 1)[0] ?? '/')
    if (route === undefined) sendJson(res, 404, { error: 'not_found' })
    else route(req, res)
  }
  return withFormBody(style === 'app-wide' ? chain(authenticate, router) : router)
}

/** Runs a connect-style middleware in front of a listener, with `renderError` for `next(err)`. */
function chain(middleware: NodeMiddleware, listener: RequestListener): RequestListener {
  return (req, res) => middleware(req, res, (err) => (err === undefined ? listener(req, res) : renderError(err, req, res)))
}

/** A custom error renderer, exercised with handleErrors: false. */
function renderError(err: Error, _req: IncomingMessage, res: ServerResponse): void {
  const e = err as Error & { status?: number; code?: string; headers?: Record<string, string> }
  for (const [name, value] of Object.entries(e.headers ?? {})) res.setHeader(name, value)
  const body: AppErrorShape = { handledBy: 'app', status: e.status as number, code: e.code as string, isHttpError: err instanceof Error && 'expose' in err }
  sendJson(res, e.status ?? 500, body)
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.statusCode = status
  res.setHeader('Content-Type', 'application/json; charset=utf-8')
  res.end(JSON.stringify(body))
}

const FORM = 'application/x-www-form-urlencoded'
const MAX_FORM_BYTES = 100 * 1024

/**
 * Reads an `application/x-www-form-urlencoded` body into `req.body` before `listener` runs,
 * as connect's body parsers do (a repeated name becomes an array, as with Express's
 * `urlencoded({ extended: false })`); other requests go straight through.
 */
function withFormBody(listener: RequestListener): RequestListener {
  return (req, res) => {
    const type = req.headers['content-type']?.split(';', 1)[0]?.trim().toLowerCase()
    if (type !== FORM) return listener(req, res)
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size <= MAX_FORM_BYTES) chunks.push(chunk)
    })
    req.on('end', () => {
      if (size > MAX_FORM_BYTES) return sendJson(res, 413, { error: 'payload_too_large' })
      // No prototype, as querystring.parse gives: a `__proto__` field stays a field.
      const body = Object.create(null) as Record<string, string | string[]>
      for (const [name, value] of new URLSearchParams(Buffer.concat(chunks).toString('utf8'))) {
        const previous = body[name]
        body[name] = previous === undefined ? value : [...(Array.isArray(previous) ? previous : [previous]), value]
      }
      ;(req as IncomingMessage & { body?: unknown }).body = body
      listener(req, res)
    })
  }
}
