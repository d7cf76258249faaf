import { isUtf8 } from 'node:buffer'
// Shape checks jose does not make, applied to every token before (or right after) jose.

const BASE64URL_CHAR = /^[A-Za-z0-9_-]*$/
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

/**
 * Whether `token` is a JWS compact serialization with canonical unpadded base64url segments
 * (RFC 7515 §2 and §7.1: no padding, no other characters). Node's decoder accepts padding
 * and ignores the unused low bits of a segment's last character, so without this check
 * `token==` or a token whose last character differs in those bits carries the same
 * signature as the original: a different string for the same token, which would slip past
 * anything keyed on the token string (the verified-token cache, denylists, replay checks).
 */
export function isCanonicalCompactJws(token: string): boolean {
  const first = token.indexOf('.')
  const second = token.indexOf('.', first + 1)
  if (first <= 0 || second < 0 || token.indexOf('.', second + 1) >= 0) return false
  return (
    isCanonicalSegment(token.slice(0, first)) &&
    isCanonicalSegment(token.slice(first + 1, second)) &&
    isCanonicalSegment(token.slice(second + 1))
  )
}

function isCanonicalSegment(segment: string): boolean {
  if (!BASE64URL_CHAR.test(segment)) return false
  const rest = segment.length % 4
  if (rest === 0) return true
  if (rest === 1) return false
  // 2 trailing characters carry 1 byte (4 unused bits), 3 carry 2 bytes (2 unused bits).
  const value = ALPHABET.indexOf(segment[segment.length - 1] as string)
  return (value & (rest === 2 ? 0b1111 : 0b11)) === 0
}

/** Deepest nesting we accept in a header or claims set; real tokens use a handful of levels. */
export const MAX_JSON_DEPTH = 32

/**
 * Whether `value` nests objects and arrays deeper than `limit`. Iterative, so a hostile
 * 10 000-level claim cannot overflow the stack here, and rejecting it means no later
 * `JSON.stringify(req.auth)` in an application can throw a RangeError (V8 stops near 4 000).
 */
export function nestsDeeperThan(value: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[value, 0]]
  while (stack.length > 0) {
    const [current, depth] = stack.pop() as [unknown, number]
    if (typeof current !== 'object' || current === null) continue
    if (depth >= limit) return true
    for (const child of Array.isArray(current) ? current : Object.values(current)) {
      if (typeof child === 'object' && child !== null) stack.push([child, depth + 1])
    }
  }
  return false
}

/** A base64url JSON segment that must hold an object (RFC 7515 §4, RFC 7519 §7.2 step 10). */
export function decodeJsonObject(segment: string): Record<string, unknown> | undefined {
  const bytes = Buffer.from(segment, 'base64url')
  // RFC 7515 §2: the parts are UTF-8 JSON; invalid bytes make the token malformed rather than
  // being replaced with U+FFFD. isUtf8 + toString is several times faster than a fatal TextDecoder.
  if (!isUtf8(bytes)) return undefined
  let value: unknown
  try {
    value = JSON.parse(bytes.toString('utf8'))
  } catch {
    return undefined
  }
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined
}
