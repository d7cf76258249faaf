import { createHash, X509Certificate } from 'node:crypto'

/**
 * The RFC 8705 §3.1 `x5t#S256` of a certificate: base64url of the SHA-256 of its DER bytes,
 * as a certificate-bound token's `cnf` carries it. Takes the DER bytes or a PEM string.
 * Throws a `TypeError` when the input is not an X.509 certificate (a private key, say), so a
 * test never binds a token to a thumbprint no client can present.
 */
export function certificateThumbprint(certificate: Uint8Array | string): string {
  return createHash('sha256').update(certificateDer(certificate)).digest('base64url')
}

/** The DER bytes of a certificate given as DER or PEM, checked to parse as X.509. */
export function certificateDer(certificate: Uint8Array | string): Uint8Array {
  let parsed: X509Certificate
  try {
    parsed = new X509Certificate(typeof certificate === 'string' ? certificate : Buffer.from(certificate))
  } catch (cause) {
    throw new TypeError('certificateThumbprint: expected an X.509 certificate as DER bytes or a PEM string', { cause })
  }
  // `raw` is the DER encoding even when PEM came in, and exactly the bytes a TLS peer sends.
  return new Uint8Array(parsed.raw)
}
