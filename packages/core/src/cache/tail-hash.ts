// The last characters of a compact JWS are its signature: bits an issuer's key produced,
// which differ between any two tokens (an opaque token's end is as random as the rest of it).
// A hash of them tells tokens apart without reading the whole token, and without the string
// hashing V8 does on a Map lookup, character by character, for every fresh request string.

/** FNV-1a (32-bit) over the last `chars` characters of `text`, from `seed`. */
export function tailHash(text: string, chars: number, seed: number): number {
  let hash = seed
  for (let i = Math.max(0, text.length - chars); i < text.length; i++) {
    hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193)
  }
  return hash
}
