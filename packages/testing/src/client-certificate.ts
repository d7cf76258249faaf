import { generateKeyPair as generateNodeKeyPair, randomBytes, sign, type KeyObject } from 'node:crypto'
import { promisify } from 'node:util'
import { certificateThumbprint } from './certificate-thumbprint.js'
import { bitString, explicit, integer, octetString, oid, sequence, set, time, TRUE, utf8String } from './lib/der.js'

/** A self-signed client certificate with its private key, for mutual-TLS tests (RFC 8705). */
export interface ClientCertificate {
  /** The certificate as PEM, e.g. the `cert` of `https.request()` or `tls.connect()`. */
  readonly certPem: string
  /** The P-256 private key as PKCS #8 PEM, the `key` of `https.request()` or `tls.connect()`. */
  readonly keyPem: string
  /** The certificate's DER bytes, as a TLS server sees them (`getPeerCertificate().raw`). */
  readonly der: Uint8Array
  /** RFC 8705 §3.1 `x5t#S256`: base64url of the SHA-256 of {@link ClientCertificate.der}. */
  readonly thumbprint: string
}

/** Options of {@link generateClientCertificate}. */
export interface ClientCertificateOptions {
  /** The subject's (and issuer's) common name. Default `'client'`. */
  commonName?: string
  /** How long the certificate is valid from now, in seconds. Default 86400 (a day). */
  validFor?: number
}

const generateKeyPair = promisify(generateNodeKeyPair)

// Validity starts a little in the past, so a server whose clock is slightly behind accepts it.
const BACKDATE_MS = 5 * 60 * 1000

/**
 * Generates a fresh self-signed X.509 v3 client certificate (ECDSA P-256, SHA-256), the kind
 * RFC 8705 §2.2 "self-signed certificate mutual-TLS" clients present, with no `openssl`
 * binary: node:crypto can parse certificates but has no API to create one, so the
 * certificate is encoded here (a few DER elements) and signed with `crypto.sign`. Its
 * extensions say what it is for: `basicConstraints` CA:FALSE, `keyUsage` digitalSignature,
 * `extendedKeyUsage` clientAuth.
 *
 * @example
 * const client = await generateClientCertificate()
 * const token = await issuer.token({ certificate: client.der }) // cnf['x5t#S256'] = client.thumbprint
 * https.request(url, { cert: client.certPem, key: client.keyPem, headers: { authorization: `Bearer ${token}` } })
 */
export async function generateClientCertificate(options: ClientCertificateOptions = {}): Promise<ClientCertificate> {
  const commonName = options.commonName ?? 'client'
  const validFor = options.validFor ?? 86_400
  if (typeof commonName !== 'string' || commonName === '') throw new TypeError('generateClientCertificate: `commonName` must be a non-empty string')
  if (!Number.isInteger(validFor) || validFor < 1) throw new TypeError('generateClientCertificate: `validFor` must be a whole number of seconds, at least 1')
  const { privateKey, publicKey } = await generateKeyPair('ec', { namedCurve: 'P-256' })
  const der = selfSigned(privateKey, publicKey, commonName, validFor)
  return {
    certPem: toPem(der),
    keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    der,
    thumbprint: certificateThumbprint(der),
  }
}

// RFC 5280 §4.1 Certificate, with the OIDs of RFC 5758 §3.2 (ecdsa-with-SHA256) and RFC 5280 §4.2.1.
function selfSigned(privateKey: KeyObject, publicKey: KeyObject, commonName: string, validFor: number): Uint8Array {
  const name = sequence(set(sequence(oid('2.5.4.3'), utf8String(commonName))))
  const signatureAlgorithm = sequence(oid('1.2.840.10045.4.3.2'))
  const serial = randomBytes(16)
  serial[0] = ((serial[0] as number) & 0x7f) | 0x01 // positive and non-zero (RFC 5280 §4.1.2.2)
  const now = Date.now()
  const extension = (id: string, value: Uint8Array): Uint8Array => sequence(oid(id), TRUE, octetString(value))
  const tbs = sequence(
    explicit(0, integer(Uint8Array.of(2))), // v3
    integer(serial),
    signatureAlgorithm,
    name,
    sequence(time(new Date(now - BACKDATE_MS)), time(new Date(now + validFor * 1000))),
    name,
    publicKey.export({ type: 'spki', format: 'der' }),
    explicit(3, sequence(
      extension('2.5.29.19', sequence()), // basicConstraints: CA:FALSE
      extension('2.5.29.15', Uint8Array.of(0x03, 0x02, 0x07, 0x80)), // keyUsage: digitalSignature
      extension('2.5.29.37', sequence(oid('1.3.6.1.5.5.7.3.2'))), // extendedKeyUsage: clientAuth
    )),
  )
  // ECDSA signatures in X.509 are DER-encoded (RFC 5758 §3.2), node's default dsaEncoding.
  return sequence(tbs, signatureAlgorithm, bitString(sign('sha256', tbs, privateKey)))
}

function toPem(der: Uint8Array): string {
  const lines = Buffer.from(der).toString('base64').match(/.{1,64}/g) ?? []
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`
}
