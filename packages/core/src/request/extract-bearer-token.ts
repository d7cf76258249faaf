import type { BearerRequest } from './bearer-request.js'
import { Rejection } from '../errors/rejection.js'

/** Where a token was found (RFC 6750 §2.1, §2.2, §2.3). */
export type TokenLocation = 'header' | 'body' | 'query'

/** A token found in a request, not yet verified. */
export interface ExtractedToken {
  readonly token: string
  readonly location: TokenLocation
  /** The authorization scheme it came with; `Bearer` for the body and the query. */
  readonly scheme: TokenScheme
}

/** `Bearer` (RFC 6750) or `DPoP` (RFC 9449 §7.1). */
export type TokenScheme = 'Bearer' | 'DPoP'

/** Which RFC 6750 §2 methods are accepted, and the length cap. */
export interface ExtractOptions {
  readonly acceptBodyToken: boolean
  readonly acceptQueryToken: boolean
  readonly maxTokenLength: number
  /** Accept `Authorization: Bearer` (false when DPoP is required). Default true. */
  readonly acceptBearerScheme?: boolean
  /** Accept `Authorization: DPoP` (RFC 9449 §7.1). Default false. */
  readonly acceptDpopScheme?: boolean
}

// RFC 6750 §2.1: credentials = "Bearer" 1*SP b64token;
// b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/
// The auth-scheme is case-insensitive (RFC 9110 §11.1). "Bearer" followed by something that
// cannot continue a scheme name (tab, comma, ...) is a malformed Bearer credential, not
// another scheme.
const BEARER_SCHEME = /^bearer(?![A-Za-z0-9!#$%&'*+.^_`|~-])/i
const DPOP_SCHEME = /^dpop(?![A-Za-z0-9!#$%&'*+.^_`|~-])/i
const FORM_URLENCODED = /^application\/x-www-form-urlencoded(?:\s*;|\s*$)/i

/**
 * Finds the access token in a request per RFC 6750 §2. Returns `undefined` when the
 * request carries no bearer credentials (including another auth scheme: `scheme_unsupported`
 * is reported by the caller); throws a {@link Rejection} for a malformed request, more than
 * one token, or an absurdly long token (checked before any parsing).
 */
export function extractBearerToken(request: BearerRequest, options: ExtractOptions): ExtractedToken | undefined {
  const fromHeader = readHeader(request.authorization, options)
  const fromBody = options.acceptBodyToken ? readBody(request) : undefined
  const fromQuery = options.acceptQueryToken ? readQuery(request.url) : undefined
  const found = (fromHeader === undefined || fromHeader === SCHEME_UNSUPPORTED ? 0 : 1) +
    (fromBody === undefined ? 0 : 1) + (fromQuery === undefined ? 0 : 1)
  // RFC 6750 §2: "Clients MUST NOT use more than one method to transmit the token in each request."
  if (found > 1) throw new Rejection('credentials_multiple', undefined, { note: 'a token in more than one of the header, the body and the query' })
  if (fromBody !== undefined) return { token: checkLength(fromBody, options.maxTokenLength), location: 'body', scheme: 'Bearer' }
  if (fromQuery !== undefined) return { token: checkLength(fromQuery, options.maxTokenLength), location: 'query', scheme: 'Bearer' }
  if (fromHeader === SCHEME_UNSUPPORTED) throw new Rejection('scheme_unsupported', undefined, { note: `the Authorization header uses another scheme than ${acceptedSchemes(options)}` })
  return fromHeader
}

function acceptedSchemes(options: ExtractOptions): string {
  const bearer = options.acceptBearerScheme !== false
  return options.acceptDpopScheme === true ? (bearer ? 'Bearer or DPoP' : 'DPoP') : 'Bearer'
}

const SCHEME_UNSUPPORTED = Symbol('scheme unsupported')

function readHeader(
  authorization: BearerRequest['authorization'],
  options: ExtractOptions,
): ExtractedToken | typeof SCHEME_UNSUPPORTED | undefined {
  const { maxTokenLength } = options
  let value: string | undefined
  if (typeof authorization === 'string') value = authorization
  else if (authorization !== undefined) {
    if (authorization.length > 1) throw new Rejection('credentials_multiple', undefined, { note: `${authorization.length} Authorization header lines` })
    value = authorization[0]
  }
  if (value === undefined || value.trim() === '') return undefined
  let scheme: TokenScheme
  if (options.acceptBearerScheme !== false && BEARER_SCHEME.test(value)) scheme = 'Bearer'
  else if (options.acceptDpopScheme === true && DPOP_SCHEME.test(value)) scheme = 'DPoP'
  else return SCHEME_UNSUPPORTED
  const end = scheme.length
  let start = end
  while (value.charCodeAt(start) === 0x20) start++
  // 1*SP between scheme and token: "Bearer" alone, or "Bearer\tx", is malformed. RFC 9449
  // §7.1 gives the DPoP scheme the same token68 syntax.
  if (start === end || start === value.length) throw new Rejection('authorization_malformed', undefined, { note: `"${scheme}" must be followed by one or more spaces and the token` })
  // The cap applies before any pattern matching, parsing or crypto.
  if (value.length - start > maxTokenLength) throw new Rejection('token_too_long', undefined, { note: `${value.length - start} characters, maxTokenLength is ${maxTokenLength}` })
  const token = value.slice(start)
  if (!B64TOKEN.test(token)) throw new Rejection('authorization_malformed', undefined, { note: 'the token has characters outside RFC 6750 b64token' })
  return { token, location: 'header', scheme }
}

/**
 * Whether a request's body may carry an RFC 6750 §2.2 token: a single-part urlencoded body,
 * on a method that has a body (never `GET`; nor `HEAD`).
 */
export function bodyMayCarryToken(method: string | undefined, contentType: string | undefined): boolean {
  const upper = method?.toUpperCase()
  return upper !== 'GET' && upper !== 'HEAD' && contentType !== undefined && FORM_URLENCODED.test(contentType)
}

/** RFC 6750 §2.2: the `access_token` form parameter. */
function readBody(request: BearerRequest): string | undefined {
  const body = request.body
  if (typeof body !== 'object' || body === null || !Object.hasOwn(body, 'access_token')) return undefined
  if (!bodyMayCarryToken(request.method, request.contentType)) return undefined
  return checkParameter((body as { access_token: unknown }).access_token)
}

/** RFC 6750 §2.3: the `access_token` query parameter. */
function readQuery(url: string | undefined): string | undefined {
  const mark = url?.indexOf('?') ?? -1
  if (url === undefined || mark < 0) return undefined
  const values = new URLSearchParams(url.slice(mark + 1)).getAll('access_token')
  if (values.length === 0) return undefined
  return checkParameter(values.length === 1 ? values[0] : values)
}

function checkParameter(value: unknown): string {
  // A repeated parameter arrives as an array: RFC 6750 §3.1 "repeats the same parameter".
  if (Array.isArray(value)) throw new Rejection('credentials_multiple')
  if (typeof value !== 'string' || value === '') throw new Rejection('authorization_malformed')
  return value
}

function checkLength(token: string, maxTokenLength: number): string {
  if (token.length > maxTokenLength) throw new Rejection('token_too_long', undefined, { note: `${token.length} characters, maxTokenLength is ${maxTokenLength}` })
  if (!B64TOKEN.test(token)) throw new Rejection('authorization_malformed')
  return token
}
