import { createHmac, randomUUID } from 'node:crypto'
import { base64url, exportJWK } from 'jose'
import { generateDpopKey, type DpopKey } from './dpop-key.js'
import { accessTokenHash, createDpopProof, proofClaims, proofHeader, type DpopProofOptions } from './dpop-proof.js'

/** The request the bad proofs are made for, as {@link createDpopProof} takes it. */
export interface BadDpopProofOptions {
  /** The DPoP key the access token is bound to. */
  key: DpopKey
  /** The HTTP method of the request, e.g. `'GET'`. */
  method: string
  /** The URL of the request, as your API sees it (its configured origin plus the path). */
  url: string | URL
  /** The access token sent with the proofs (every proof but `missingAth` carries an `ath`). */
  accessToken: string
  /** A server nonce, when the API requires nonces (RFC 9449 §9); every proof but `wrongNonce` carries it. */
  nonce?: string
}

/**
 * DPoP proofs a correct resource server must refuse, each made for the request you describe
 * and wrong in exactly the way its name says (each has its own fresh `jti`, so none is
 * refused merely as a replay). Unless a field says otherwise, the answer is 401 with
 * `invalid_dpop_proof` (RFC 9449 §7.1). A replay needs no named proof: send a good proof twice.
 */
export interface BadDpopProofs {
  /** `typ: JWT` instead of `dpop+jwt` (RFC 9449 §4.3 check 4). */
  readonly wrongTyp: string
  /** An unsecured proof, `alg: none` (RFC 9449 §4.2: never `none`). */
  readonly algNone: string
  /** HS256, "signed" with the public JWK as HMAC secret (RFC 9449 §4.2: never symmetric). */
  readonly hmac: string
  /** A validly signed proof whose `jwk` header holds the private key (RFC 9449 §4.2: "MUST NOT"). */
  readonly privateKeyInJwk: string
  /** A proof whose signature does not verify (one bit flipped) (RFC 9449 §4.3 check 6). */
  readonly badSignature: string
  /** `htm` of another method (RFC 9449 §4.3 check 8). */
  readonly wrongMethod: string
  /** `htu` of another path on the same origin (RFC 9449 §4.3 check 9). */
  readonly wrongUrl: string
  /** `htu` of the same path on another host (RFC 9449 §4.3 check 9), as a proof made for another API is. */
  readonly wrongOrigin: string
  /** `iat` one hour ago, beyond any acceptance window (RFC 9449 §4.3 check 11). */
  readonly oldIat: string
  /** `iat` one hour ahead, beyond any clock skew (RFC 9449 §4.3 check 11). */
  readonly futureIat: string
  /** `ath` of another access token (RFC 9449 §4.3 check 12). */
  readonly wrongAth: string
  /** No `ath`, though the proof comes with an access token (RFC 9449 §4.2, §7). */
  readonly missingAth: string
  /** No `jti` (RFC 9449 §4.2: required). */
  readonly missingJti: string
  /**
   * A valid proof by another key than the token is bound to: its thumbprint is not the
   * token's `cnf.jkt` (RFC 9449 §4.3 check 12, §7.1). 401.
   */
  readonly otherKey: string
  /**
   * A `nonce` the API never issued. 401 `use_dpop_nonce` from an API that requires nonces
   * (RFC 9449 §9); an API that does not ask for nonces may accept it.
   */
  readonly wrongNonce: string
}

const HOUR = 3600

/**
 * Makes the {@link BadDpopProofs} for one request.
 *
 * @example
 * const key = await generateDpopKey()
 * const token = await issuer.token({ dpop: key })
 * const bad = await badDpopProofs({ key, method: 'GET', url: 'https://api.example.com/appointments', accessToken: token })
 * for (const [name, proof] of Object.entries(bad)) {
 *   await request(app).get('/appointments').set('Authorization', `DPoP ${token}`).set('DPoP', proof).expect(401)
 * }
 */
export async function badDpopProofs(options: BadDpopProofOptions): Promise<BadDpopProofs> {
  const { key, method, url, accessToken, nonce } = options
  const now = Math.floor(Date.now() / 1000)
  const good: DpopProofOptions = { key, method, url, accessToken, nonce }
  const proof = (changes: Partial<DpopProofOptions>): Promise<string> => createDpopProof({ ...good, ...changes })
  const unsigned = (alg: string): string => {
    const header = { ...proofHeader(key), alg }
    return `${encode(header)}.${encode(proofClaims(good))}`
  }

  const elsewhere = new URL(url)
  elsewhere.pathname = `${elsewhere.pathname.replace(/\/$/, '')}/elsewhere`
  const otherHost = new URL(url)
  otherHost.hostname = 'evil.example.com'
  otherHost.port = ''
  const hmacInput = unsigned('HS256')
  const [stranger, privateJwk, signed] = await Promise.all([generateDpopKey(key.alg), exportJWK(key.privateKey), proof({})])

  return {
    wrongTyp: await proof({ header: { typ: 'JWT' } }),
    algNone: `${unsigned('none')}.`,
    hmac: `${hmacInput}.${createHmac('sha256', JSON.stringify(key.publicJwk)).update(hmacInput).digest('base64url')}`,
    privateKeyInJwk: await proof({ header: { jwk: privateJwk } }),
    badSignature: flipSignatureBit(signed),
    wrongMethod: await proof({ method: method.toUpperCase() === 'POST' ? 'GET' : 'POST' }),
    wrongUrl: await proof({ url: elsewhere }),
    wrongOrigin: await proof({ url: otherHost }),
    oldIat: await proof({ iat: now - HOUR }),
    futureIat: await proof({ iat: now + HOUR }),
    wrongAth: await proof({ claims: { ath: accessTokenHash(`${accessToken}.other`) } }),
    missingAth: await proof({ accessToken: undefined }),
    missingJti: await proof({ claims: { jti: undefined } }),
    otherKey: await proof({ key: stranger }),
    wrongNonce: await proof({ nonce: `not-issued-${randomUUID()}` }),
  }
}

function encode(value: unknown): string {
  return base64url.encode(JSON.stringify(value))
}

function flipSignatureBit(jws: string): string {
  const [header, payload, signature] = jws.split('.') as [string, string, string]
  const bytes = base64url.decode(signature)
  bytes[0] = (bytes[0] as number) ^ 0x01
  return `${header}.${payload}.${base64url.encode(bytes)}`
}
