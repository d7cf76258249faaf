// The few ASN.1 DER encoders (ITU-T X.690) an X.509 certificate needs. Writing is simple
// (definite lengths, no parsing); node:crypto parses the result and tests check it does.

/** A tag-length-value element. */
export function tlv(tag: number, ...contents: Uint8Array[]): Uint8Array {
  const body = Buffer.concat(contents)
  return Buffer.concat([Buffer.from([tag]), length(body.length), body])
}

/** SEQUENCE. */
export const sequence = (...items: Uint8Array[]): Uint8Array => tlv(0x30, ...items)
/** SET. */
export const set = (...items: Uint8Array[]): Uint8Array => tlv(0x31, ...items)
/** Context-specific constructed tag `[n]`, as X.509 uses for `version` and `extensions`. */
export const explicit = (n: number, ...items: Uint8Array[]): Uint8Array => tlv(0xa0 + n, ...items)
/** BOOLEAN TRUE. */
export const TRUE = Uint8Array.from([0x01, 0x01, 0xff])
/** OCTET STRING. */
export const octetString = (bytes: Uint8Array): Uint8Array => tlv(0x04, bytes)
/** UTF8String. */
export const utf8String = (text: string): Uint8Array => tlv(0x0c, Buffer.from(text, 'utf8'))
/** BIT STRING of whole bytes (no unused bits). */
export const bitString = (bytes: Uint8Array): Uint8Array => tlv(0x03, Uint8Array.of(0), bytes)

/** INTEGER from big-endian unsigned bytes (a leading zero keeps it positive). */
export function integer(bytes: Uint8Array): Uint8Array {
  let start = 0
  while (start < bytes.length - 1 && bytes[start] === 0) start++
  const trimmed = bytes.subarray(start)
  return tlv(0x02, ((trimmed[0] ?? 0) & 0x80) !== 0 ? Uint8Array.of(0, ...trimmed) : trimmed)
}

/** OBJECT IDENTIFIER from dotted form. */
export function oid(dotted: string): Uint8Array {
  const [first = 0, second = 0, ...rest] = dotted.split('.').map(Number)
  const bytes = [40 * first + second]
  for (const arc of rest) {
    const base128 = [arc & 0x7f]
    for (let value = Math.floor(arc / 128); value > 0; value = Math.floor(value / 128)) base128.unshift((value & 0x7f) | 0x80)
    bytes.push(...base128)
  }
  return tlv(0x06, Uint8Array.from(bytes))
}

/** RFC 5280 §4.1.2.5 Time: UTCTime through 2049, GeneralizedTime from 2050. */
export function time(date: Date): Uint8Array {
  const iso = date.toISOString().replace(/[-:T]/g, '').slice(0, 14) // YYYYMMDDHHMMSS
  return date.getUTCFullYear() < 2050 ? tlv(0x17, Buffer.from(`${iso.slice(2)}Z`)) : tlv(0x18, Buffer.from(`${iso}Z`))
}

function length(n: number): Uint8Array {
  if (n < 0x80) return Uint8Array.of(n)
  const bytes: number[] = []
  for (let value = n; value > 0; value = Math.floor(value / 256)) bytes.unshift(value & 0xff)
  return Uint8Array.from([0x80 | bytes.length, ...bytes])
}
