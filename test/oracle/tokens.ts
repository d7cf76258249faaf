// Building compact JWS by hand (raw JSON text, chosen segment encodings) and reading them
// back the way a lenient verifier would, for the strictness classifier.

/** Canonical base64url (RFC 7515 §2: no padding) of UTF-8 text or bytes. */
export function b64(input: string | Uint8Array): string {
  return Buffer.from(input).toString('base64url')
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

/** Ways to spell a base64url segment other than canonically. Only `canonical` is RFC 7515 §2. */
export const ENCODINGS = ['canonical', 'pad', 'dirty-bits', 'space', 'tab', 'std-alphabet'] as const
export type Encoding = (typeof ENCODINGS)[number]

/** Re-spells a canonical segment; a spelling that does not apply to it (no padding needed...) leaves it as is. */
export function respell(segment: string, encoding: Encoding): string {
  switch (encoding) {
    case 'canonical':
      return segment
    case 'pad':
      return segment + '='.repeat((4 - (segment.length % 4)) % 4)
    case 'dirty-bits': {
      // The last character of a 2- or 3-character group carries 4 or 2 unused low bits.
      const rest = segment.length % 4
      if (rest !== 2 && rest !== 3) return segment
      const value = ALPHABET.indexOf(segment.at(-1) as string)
      return segment.slice(0, -1) + ALPHABET[value | 1]
    }
    case 'space':
    case 'tab': {
      if (segment.length === 0) return segment
      const middle = Math.floor(segment.length / 2)
      return `${segment.slice(0, middle)}${encoding === 'space' ? ' ' : '\t'}${segment.slice(middle)}`
    }
    case 'std-alphabet':
      return segment.replace(/-/g, '+').replace(/_/g, '/')
  }
}

/** RFC 7515 §2 / RFC 4648 §5 canonical unpadded base64url: alphabet only, no impossible length, unused bits zero. */
export function isCanonicalSegment(segment: string): boolean {
  if (!/^[A-Za-z0-9_-]*$/.test(segment)) return false
  const rest = segment.length % 4
  if (rest === 0) return true
  if (rest === 1) return false
  return (ALPHABET.indexOf(segment.at(-1) as string) & (rest === 2 ? 0b1111 : 0b11)) === 0
}

/** A JSON object's text from raw member texts, in order (duplicates and `1e400` kept as written). */
export function rawObject(members: readonly (readonly [name: string, valueText: string])[]): string {
  return `{${members.map(([name, value]) => `${JSON.stringify(name)}:${value}`).join(',')}}`
}

/** The raw members of a plain object (undefined values left out). */
export function membersOf(object: Record<string, unknown>): [string, string][] {
  return Object.entries(object).filter(([, value]) => value !== undefined).map(([name, value]) => [name, JSON.stringify(value)])
}

/** JSON text of an array nested `levels` deep: `[[[]]]` for 3. */
export function nestedArray(levels: number): string {
  return '['.repeat(levels) + ']'.repeat(levels)
}

export const BOM = '\uFEFF'

/** Nesting depth of a JSON value: 0 for a scalar, 1 for `{}` or `[]`, 2 for `{"a":[]}`. */
export function jsonDepth(value: unknown): number {
  if (typeof value !== 'object' || value === null) return 0
  const children = Array.isArray(value) ? value : Object.values(value)
  return 1 + children.reduce((deepest: number, child) => Math.max(deepest, jsonDepth(child)), 0)
}

const fatal = new TextDecoder('utf-8', { fatal: true })

/** What a lenient reader (jose) sees in a segment: base64 bytes, UTF-8 with a BOM dropped, a JSON object. */
export interface SegmentView {
  readonly bytes: Buffer
  readonly startsWithBom: boolean
  readonly object: Record<string, unknown> | undefined
}

export function viewSegment(segment: string): SegmentView {
  const bytes = Buffer.from(segment.replace(/\s/g, ''), 'base64url')
  const startsWithBom = bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf
  let object: Record<string, unknown> | undefined
  try {
    const value: unknown = JSON.parse(fatal.decode(bytes))
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) object = value as Record<string, unknown>
  } catch {
    object = undefined
  }
  return { bytes, startsWithBom, object }
}

/** A token split into its three segments with their readings; `undefined` parts when it has not three. */
export interface TokenView {
  readonly token: string
  readonly segments: readonly [string, string, string] | undefined
  readonly header: SegmentView | undefined
  readonly payload: SegmentView | undefined
}

export function viewToken(token: string): TokenView {
  const parts = token.split('.')
  if (parts.length !== 3) return { token, segments: undefined, header: undefined, payload: undefined }
  const segments = parts as [string, string, string]
  return { token, segments, header: viewSegment(segments[0]), payload: viewSegment(segments[1]) }
}
