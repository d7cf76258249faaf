// The documented list of deliberate strictness: inputs scopeguard refuses although jose's
// jwtVerify, given the same keys and equivalent options, accepts them. The oracle properties
// allow exactly these differences, and only in that direction (scopeguard must refuse; jose
// may do either). Every entry has a dedicated witness in strictness.test.ts showing jose
// accepting and scopeguard refusing, so an entry that stops being true fails there.
//
// Not on the list, because jose 6 refuses them too (asserted in strictness.test.ts as
// agreements): RSA keys under 2048 bits, invalid UTF-8 in the header, '+' or '/' in a segment,
// duplicate JSON member names (both take the last one, RFC 7515 §4 / RFC 7519 §4 allow that).

import { DEFAULT_MAX_TOKEN_LENGTH, DEFAULT_TOLERANCE, LENIENT_TYPES, type OracleConfig } from './verifiers.js'
import { isCanonicalSegment, jsonDepth, type TokenView } from './tokens.js'

export interface StrictnessEntry {
  readonly id: string
  /** What scopeguard refuses and jose accepts. */
  readonly refuses: string
  /** Why refusing is allowed (or required). */
  readonly reference: string
  /** Whether `token` under `config` falls under this entry. */
  readonly applies: (view: TokenView, config: OracleConfig) => boolean
}

const MAX_JSON_DEPTH = 32

export const STRICTNESS: readonly StrictnessEntry[] = [
  {
    id: 'non-canonical-base64url',
    refuses: 'a segment that is not canonical unpadded base64url: "=" padding, non-zero unused bits in the last character, whitespace (jose decodes with atob, which allows all three)',
    // RFC 7515 §2 (Base64url Encoding "with all trailing '=' characters omitted") and §7.1
    // (compact serialization is the concatenation of BASE64URL(...) values); RFC 4648 §3.5
    // ("decoders MAY chose to reject an encoding if the pad bits have not been set to zero").
    // The same token in two spellings would slip past anything keyed on the token string.
    reference: 'RFC 7515 §2, §7.1; RFC 4648 §3.5; RFC 6750 §2.1 b64token (no whitespace)',
    applies: (view) => view.segments !== undefined && view.segments.some((segment) => !isCanonicalSegment(segment)),
  },
  {
    id: 'token-too-long',
    refuses: `a token longer than maxTokenLength (default ${DEFAULT_MAX_TOKEN_LENGTH} characters), before any parsing`,
    // RFC 9110 §5.4: a server may refuse field values larger than it wishes to process. jose has no bound.
    reference: 'RFC 9110 §5.4; RFC 8725 §3 (resource exhaustion)',
    applies: (view) => view.token.length > DEFAULT_MAX_TOKEN_LENGTH,
  },
  {
    id: 'typ-outside-lenient-set',
    refuses: 'in lenient mode, a typ other than at+jwt, application/at+jwt, JWT or application/jwt (any case), or a non-string typ; jose checks typ only when given one',
    // RFC 8725 §3.11 explicit typing, so an ID token or logout token cannot pass as an access
    // token; RFC 9068 §2.1 / §4 (strict mode requires at+jwt, mapped exactly to jose's typ option).
    reference: 'RFC 8725 §3.11; RFC 9068 §2.1, §4; RFC 7515 §4.1.9',
    applies: (view, config) => {
      if (config.strictRfc9068 === true) return false
      const typ = view.header?.object?.typ
      return typ !== undefined && !(typeof typ === 'string' && LENIENT_TYPES.has(typ.toLowerCase()))
    },
  },
  {
    id: 'crit-other-than-b64',
    refuses: 'a crit header other than exactly ["b64"] with b64: true; jose also accepts a repeated name, e.g. ["b64","b64"]',
    // RFC 7515 §4.1.11: producers MUST NOT list duplicate names; recipients MAY consider the JWS
    // invalid if other constraints on crit are violated. RFC 7797 §7: a JWT keeps b64 true.
    reference: 'RFC 7515 §4.1.11; RFC 7797 §6, §7',
    applies: (view) => {
      const header = view.header?.object
      if (header === undefined || header.crit === undefined) return false
      const { crit } = header
      return !(Array.isArray(crit) && crit.length === 1 && crit[0] === 'b64' && header.b64 === true)
    },
  },
  {
    id: 'json-nesting-deeper-than-32',
    refuses: `a header or claims set nesting objects/arrays more than ${MAX_JSON_DEPTH} levels deep (the top-level object counts as 1)`,
    // RFC 8259 §9: "An implementation may set limits on the maximum depth of nesting." Keeps a
    // later JSON.stringify(req.auth) in the application from overflowing the stack.
    reference: 'RFC 8259 §9; RFC 8725 §3 (resource exhaustion)',
    applies: (view) => jsonDepth(view.header?.object) > MAX_JSON_DEPTH || jsonDepth(view.payload?.object) > MAX_JSON_DEPTH,
  },
  {
    id: 'non-finite-numericdate',
    refuses: 'exp, nbf or iat that parse to ±Infinity (e.g. 1e400); jose only compares them, so exp: 1e400 never expires',
    // RFC 7519 §2 NumericDate is a number of seconds; RFC 8259 §6: Infinity is not a JSON
    // number, and numbers beyond IEEE 754 double range are not interoperable.
    reference: 'RFC 7519 §2, §4.1.4, §4.1.5, §4.1.6; RFC 8259 §6',
    applies: (view) => {
      const claims = view.payload?.object
      return claims !== undefined && ['exp', 'nbf', 'iat'].some((name) => typeof claims[name] === 'number' && !Number.isFinite(claims[name]))
    },
  },
  {
    id: 'iat-in-the-future',
    refuses: 'an iat later than now plus the clock tolerance when no maxTokenAge is set (jose compares iat with the clock only for maxTokenAge)',
    // RFC 7519 §4.1.6: iat is the time the token was issued; a token issued after now comes from
    // a wrong clock or from someone minting tokens ahead of time.
    reference: 'RFC 7519 §4.1.6; RFC 8725 §3.10 (validate all claims)',
    applies: (view, config) => {
      const iat = view.payload?.object?.iat
      return typeof iat === 'number' && Number.isFinite(iat) && iat > Math.floor(Date.now() / 1000) + (config.clockTolerance ?? DEFAULT_TOLERANCE)
    },
  },
  {
    id: 'utf8-bom',
    refuses: 'a header or claims set whose UTF-8 starts with a byte order mark (jose\'s TextDecoder drops it)',
    // RFC 8259 §8.1: implementations MUST NOT add a BOM to networked JSON; parsers MAY ignore it
    // (or treat it as an error). RFC 7515 §2: the parts are UTF-8 JSON.
    reference: 'RFC 8259 §8.1; RFC 7515 §2',
    applies: (view) => view.header?.startsWithBom === true || view.payload?.startsWithBom === true,
  },
  {
    id: 'rfc9068-claim-types',
    refuses: 'in strictRfc9068 mode, a sub, client_id or jti that is not a string (jose checks only their presence)',
    // RFC 9068 §2.2: sub, client_id and jti as in RFC 7519 §4.1.2 (StringOrURI), RFC 8693 §4.3
    // and RFC 7519 §4.1.7 (a case-sensitive string).
    reference: 'RFC 9068 §2.2; RFC 7519 §4.1.2, §4.1.7; RFC 8693 §4.3',
    applies: (view, config) => {
      const claims = view.payload?.object
      return config.strictRfc9068 === true && claims !== undefined &&
        ['sub', 'client_id', 'jti'].some((name) => Object.hasOwn(claims, name) && typeof claims[name] !== 'string')
    },
  },
  {
    id: 'short-hmac-secret',
    refuses: 'a secret shorter than 32 bytes: createAuthenticator throws; jose verifies HS* with any key length',
    // RFC 7518 §3.2: "A key of the same size as the hash output ... or larger MUST be used".
    reference: 'RFC 7518 §3.2; RFC 8725 §3.5',
    applies: (_view, config) => config.source.kind === 'secret-bytes' && config.source.bytes.byteLength < 32,
  },
]

/** Ids of the entries `token` under `config` falls under. */
export function strictnessOf(view: TokenView, config: OracleConfig): string[] {
  return STRICTNESS.filter((entry) => entry.applies(view, config)).map((entry) => entry.id)
}
