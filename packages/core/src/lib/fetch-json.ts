import { checkEndpointUrl } from './endpoint-url.js'

/** Limits for every request scopeguard makes to an issuer (discovery, JWKS, introspection). */
export interface FetchPolicy {
  /** Milliseconds until the request, body included, is aborted. */
  readonly timeout: number
  /** Largest accepted body, in bytes after content decoding (a gzip bomb stops here). */
  readonly maxBytes: number
  /** Extra request headers. */
  readonly headers?: Readonly<Record<string, string>>
  /** Follow HTTP redirects (at most 5, each target checked like a configured URL). Default false. */
  readonly followRedirects?: boolean
  /** Accept plain-http targets other than loopback when following redirects. Default false. */
  readonly allowHttp?: boolean
  /** The fetch to send requests with (the `fetch` option); default the global `fetch`. */
  readonly fetch?: typeof globalThis.fetch
}

const MAX_REDIRECTS = 5

/**
 * Why an issuer endpoint could not be used. The message names the URL and the reason for
 * operators; it travels as the `cause` of a `keys_unavailable` error and is never sent to
 * a client.
 */
export class IssuerFetchError extends Error {
  override readonly name = 'IssuerFetchError'
  constructor(
    readonly url: string,
    readonly reason: 'network' | 'timeout' | 'status' | 'content-type' | 'too-large' | 'json',
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`${url}: ${detail}`, options)
  }
}

const JSON_CONTENT_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i

/**
 * What {@link fetchText} sends and accepts beyond the default, a GET for JSON: the
 * introspection POST of RFC 7662 §2.1 and its RFC 9701 JWT answer.
 */
export interface FetchRequest {
  /** Form parameters: the request becomes a POST of `application/x-www-form-urlencoded`. */
  readonly form?: URLSearchParams
  /** Headers of this request (an `Authorization`, an `accept`), over the policy's. */
  readonly headers?: Readonly<Record<string, string>>
  /** Media type the response must have, parameters aside, instead of any JSON type. */
  readonly mediaType?: string
}

/**
 * GETs a JSON document with a real timeout, a size cap enforced while streaming, and checks
 * on status and content type. Redirects are not followed unless the policy says so: a JWKS
 * location is trust-bearing, and a redirect would let whoever controls the first URL pick
 * the keys (RFC 8414 §3 serves metadata at the well-known URL itself).
 *
 * Written here rather than taken from a library because `fetch` has no body size limit and
 * the JSON must never be buffered past `maxBytes`. `request` makes it a form POST.
 */
export async function fetchJson(url: string, policy: FetchPolicy, outerSignal?: AbortSignal, request?: FetchRequest): Promise<unknown> {
  const text = await fetchText(url, policy, request, outerSignal)
  try {
    return JSON.parse(text) as unknown
  } catch (cause) {
    throw new IssuerFetchError(url, 'json', 'body is not valid JSON', { cause })
  }
}

/**
 * {@link fetchJson} without the parsing: the body as text, once status, content type
 * (JSON, or `request.mediaType`) and size have passed.
 *
 * A request with a form follows a redirect (when the policy allows any) only if it is a 307
 * or 308 to the same origin: those keep the method and body (RFC 9110 §15.4.8, §15.4.9),
 * 301 to 303 would turn the POST into a GET, and the body carries a token and possibly the
 * client's secret, which must not go to another origin.
 */
export async function fetchText(url: string, policy: FetchPolicy, request?: FetchRequest, outerSignal?: AbortSignal): Promise<string> {
  const timeout = AbortSignal.timeout(policy.timeout)
  const signal = outerSignal === undefined ? timeout : AbortSignal.any([timeout, outerSignal])
  const form = request?.form
  const headers: Record<string, string> = { accept: 'application/json, application/jwk-set+json', ...policy.headers, ...request?.headers }
  if (form !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded'
  let response: Response
  try {
    // Redirects are followed by hand so every hop is held to the rules of a configured URL
    // (https unless loopback or allowHttp): fetch's own following would accept any target.
    let target = url
    const send = policy.fetch ?? fetch
    for (let hop = 0; ; hop++) {
      response = await send(target, {
        method: form === undefined ? 'GET' : 'POST',
        body: form?.toString(),
        redirect: 'manual',
        signal,
        headers,
      })
      const location = response.headers.get('location')
      if (policy.followRedirects !== true || response.status < 300 || response.status >= 400 || location === null) break
      await response.body?.cancel().catch(() => {})
      const next = new URL(location, target).href
      const problem = checkEndpointUrl(next, policy.allowHttp === true)
      if (problem !== undefined) throw new IssuerFetchError(url, 'status', `redirect target ${next} ${problem}`)
      if (form !== undefined && ((response.status !== 307 && response.status !== 308) || new URL(next).origin !== new URL(target).origin)) {
        throw new IssuerFetchError(url, 'status', `a POST is redirected only by 307 or 308 within its origin, got ${response.status} to ${next}`)
      }
      if (hop + 1 >= MAX_REDIRECTS) throw new IssuerFetchError(url, 'status', `more than ${MAX_REDIRECTS} redirects`)
      target = next
    }
  } catch (cause) {
    if (cause instanceof IssuerFetchError) throw cause
    // Only our own timer makes it a timeout; a caller's cancellation is reported as such.
    throw timeout.aborted
      ? new IssuerFetchError(url, 'timeout', `no response within ${policy.timeout} ms`, { cause })
      : new IssuerFetchError(url, 'network', signal.aborted ? 'request cancelled' : 'request failed', { cause })
  }
  try {
    if (response.status !== 200) {
      const redirect = response.status >= 300 && response.status < 400 ? ' (redirects are not followed unless followRedirects is set)' : ''
      throw new IssuerFetchError(url, 'status', `expected status 200, got ${response.status}${redirect}`)
    }
    const contentType = response.headers.get('content-type') ?? ''
    const mediaType = request?.mediaType
    if (mediaType === undefined ? !JSON_CONTENT_TYPE.test(contentType) : contentType.split(';', 1)[0]?.trim().toLowerCase() !== mediaType) {
      throw new IssuerFetchError(url, 'content-type', `expected ${mediaType ?? 'a JSON content type'}, got ${JSON.stringify(contentType.slice(0, 100))}`)
    }
    const declared = Number(response.headers.get('content-length') ?? NaN)
    if (declared > policy.maxBytes) {
      throw new IssuerFetchError(url, 'too-large', `declared ${declared} bytes, limit is ${policy.maxBytes}`)
    }
    return await readCapped(response, url, policy.maxBytes, timeout, policy.timeout)
  } finally {
    // Release the connection whatever happened; cancelling a consumed body is a no-op.
    await response.body?.cancel().catch(() => {})
  }
}

async function readCapped(response: Response, url: string, maxBytes: number, timer: AbortSignal, timeout: number): Promise<string> {
  if (response.body === null) return ''
  const reader = response.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      size += value.byteLength
      if (size > maxBytes) {
        throw new IssuerFetchError(url, 'too-large', `body exceeds the limit of ${maxBytes} bytes`)
      }
      chunks.push(value)
    }
  } catch (cause) {
    if (cause instanceof IssuerFetchError) throw cause
    throw timer.aborted
      ? new IssuerFetchError(url, 'timeout', `body not received within ${timeout} ms`, { cause })
      : new IssuerFetchError(url, 'network', 'reading the body failed', { cause })
  } finally {
    reader.releaseLock()
  }
  return new TextDecoder('utf-8', { fatal: false }).decode(Buffer.concat(chunks))
}
