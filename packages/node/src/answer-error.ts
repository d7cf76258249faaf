import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http'

/**
 * What a `protect()` listener does with an error when `auth()` was given no `onError`, as
 * Koa's default error handler does: the error's `status` (500 unless it is a 4xx or 5xx
 * number), its `headers` (an `AuthError`'s `WWW-Authenticate` or `Retry-After`), and as a
 * plain-text body its message when it is safe to show (`expose`), else the status text. An
 * error not safe to show is a bug somewhere: it is written to stderr, so it does not vanish
 * into a bare 500.
 */
export function answerError(err: Error, _req: IncomingMessage, res: ServerResponse): void {
  const { status, expose, headers } = err as { status?: unknown; expose?: unknown; headers?: unknown }
  const code = typeof status === 'number' && Number.isInteger(status) && status >= 400 && status <= 599 ? status : 500
  // A status of its own that is not an error status is not the error's to show either.
  const exposed = expose === true && code === status
  if (!exposed) console.error(err)
  res.statusCode = code
  if (typeof headers === 'object' && headers !== null) {
    for (const [name, value] of Object.entries(headers)) if (typeof value === 'string') res.setHeader(name, value)
  }
  res.setHeader('Content-Type', 'text/plain; charset=utf-8')
  res.end(exposed ? err.message : (STATUS_CODES[code] ?? 'Error'))
}
