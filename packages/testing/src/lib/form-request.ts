import type { IncomingMessage, ServerResponse } from 'node:http'

/** An OAuth error answer (RFC 6749 §5.2). */
export interface OAuthError {
  readonly status: number
  readonly error: string
  readonly description: string
  readonly headers?: Readonly<Record<string, string>>
}

// Introspection and revocation requests are a token and a few credentials; far less than this.
const MAX_BODY_BYTES = 64 * 1024

/**
 * Reads the `application/x-www-form-urlencoded` body that RFC 7662 §2.1 and RFC 7009 §2.1
 * require, refusing another media type, an oversized body, and a repeated parameter (RFC 6749
 * §3.2: parameters "MUST NOT be included more than once").
 */
export async function readForm(req: IncomingMessage): Promise<URLSearchParams | OAuthError> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > MAX_BODY_BYTES) return { status: 413, error: 'invalid_request', description: 'request body too large', headers: { connection: 'close' } }
    chunks.push(chunk)
  }
  const mediaType = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase()
  if (mediaType !== 'application/x-www-form-urlencoded') {
    return { status: 400, error: 'invalid_request', description: 'the body must be application/x-www-form-urlencoded' }
  }
  const params = new URLSearchParams(Buffer.concat(chunks).toString('utf8'))
  const names = [...params.keys()]
  const repeated = names.find((name, index) => names.indexOf(name) !== index)
  if (repeated !== undefined) return { status: 400, error: 'invalid_request', description: `parameter ${repeated} repeated` }
  return params
}

/** Answers JSON that no cache keeps (it describes credentials). */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers }).end(JSON.stringify(body))
}

/** Answers an OAuth error; `invalid_client` comes with the Basic challenge RFC 6749 §5.2 asks for. */
export function sendError(res: ServerResponse, problem: OAuthError): void {
  const challenge: Record<string, string> = problem.error === 'invalid_client' ? { 'www-authenticate': 'Basic realm="fake-issuer"' } : {}
  sendJson(res, problem.status, { error: problem.error, error_description: problem.description }, { ...challenge, ...problem.headers })
}
