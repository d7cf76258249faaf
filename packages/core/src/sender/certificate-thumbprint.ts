import { createHash, X509Certificate } from 'node:crypto'

/**
 * The certificate's `x5t#S256` thumbprint (RFC 8705 §3.1): the base64url-encoded SHA-256 hash
 * of its DER encoding, as a certificate-bound token carries it in `cnf`.
 */
export function certificateThumbprint(der: Uint8Array): string {
  return createHash('sha256').update(der).digest('base64url')
}

// RFC 8941 §3.3.5: a Byte Sequence is ":" base64 ":", with the standard alphabet (RFC 4648 §4).
const BYTE_SEQUENCE = /^:([A-Za-z0-9+/]*={0,2}):$/
// HTTP strips this whitespace around a field value (RFC 9110 §5.5); some frameworks keep it.
const SURROUNDING_WHITESPACE = /^[ \t]+|[ \t]+$/g

/**
 * The client certificate a TLS-terminating proxy passed on in the RFC 9440 `Client-Cert`
 * header (§2.1, §2.2): its DER bytes, `undefined` when the header is absent, or `'malformed'`
 * when it is not exactly one RFC 8941 Byte Sequence holding exactly one X.509 certificate.
 *
 * Strict on purpose, since the result binds a token: more than one line or value is
 * malformed (a client may have added its own line beside the proxy's), as are Structured
 * Field parameters (RFC 9440 defines none) and bytes that are not a DER certificate alone.
 * Missing `=` padding is accepted, as RFC 8941 §4.2.7 asks of parsers.
 *
 * @param value The header as the framework gives it: one string, an array of lines, or undefined.
 */
export function clientCertFromHeader(value: string | readonly string[] | undefined): Uint8Array | undefined | 'malformed' {
  let line: unknown = value
  if (Array.isArray(value)) {
    if (value.length === 0) return undefined
    if (value.length > 1) return 'malformed'
    line = value[0]
  }
  if (line === undefined) return undefined
  if (typeof line !== 'string') return 'malformed'
  const content = BYTE_SEQUENCE.exec(line.replace(SURROUNDING_WHITESPACE, ''))?.[1]
  if (content === undefined) return 'malformed'
  // RFC 4648 §4: padded base64 comes in groups of four; unpadded, a lone last character is no byte.
  if (content.includes('=') ? content.length % 4 !== 0 : content.length % 4 === 1) return 'malformed'
  const der = Buffer.from(content, 'base64')
  return isCertificate(der) ? der : 'malformed'
}

/**
 * Whether `der` is one X.509 certificate and nothing else. `X509Certificate` also takes PEM
 * and ignores bytes after the certificate; comparing its DER with the input rules both out,
 * so the thumbprint is always that of the certificate as parsed.
 */
function isCertificate(der: Buffer): boolean {
  try {
    return new X509Certificate(der).raw.equals(der)
  } catch {
    return false
  }
}

/**
 * The DER bytes of the certificate the client presented in the TLS handshake (RFC 8705 §3:
 * the one whose private key it proved to hold), or `undefined` when there is none: no
 * certificate sent (Node returns an empty object then), a connection that is not TLS, or any
 * other object. The server must ask for certificates (`requestCert: true`); for self-signed
 * certificates (RFC 8705 §2.2) it must also accept ones no CA vouches for, since the token's
 * thumbprint is what binds them. Never throws.
 *
 * @param socket The request's socket, e.g. Node's `req.socket`.
 */
export function peerCertificateDer(socket: unknown): Uint8Array | undefined {
  if (typeof socket !== 'object' || socket === null) return undefined
  try {
    const getPeerCertificate: unknown = (socket as { getPeerCertificate?: unknown }).getPeerCertificate
    if (typeof getPeerCertificate !== 'function') return undefined
    const certificate: unknown = getPeerCertificate.call(socket, false)
    if (typeof certificate !== 'object' || certificate === null) return undefined
    const raw: unknown = (certificate as { raw?: unknown }).raw
    return raw instanceof Uint8Array && raw.length > 0 ? raw : undefined
  } catch {
    // A socket-like object whose accessors throw (a destroyed or proxied socket) has no certificate to offer.
    return undefined
  }
}
