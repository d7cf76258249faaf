// Mutations of a signed token that do not re-sign it: bit flips in the decoded bytes of each
// segment, character edits, truncation, swapped or dropped segments, padding and respellings.

import fc from 'fast-check'
import { b64, ENCODINGS, respell, type Encoding } from './tokens.js'

/** A named change to a token string, so a counterexample reads as what was done. */
export type Mutation = ((token: string) => string) & { [fc.toStringMethod]: () => string }

const mutation = (label: string, apply: (token: string) => string): Mutation => Object.assign(apply, { [fc.toStringMethod]: () => label })

const B64URL = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_']
const at = (length: number, index: number): number => (length === 0 ? 0 : index % (length + 1))

function onSegment(token: string, segment: number, change: (part: string) => string): string {
  const parts = token.split('.')
  if (segment >= parts.length) return token
  parts[segment] = change(parts[segment] as string)
  return parts.join('.')
}

function flipBit(part: string, bit: number): string {
  const bytes = Buffer.from(part, 'base64url')
  if (bytes.length === 0) return part
  const index = Math.floor(bit / 8) % bytes.length
  bytes[index] = (bytes[index] as number) ^ (1 << (bit % 8))
  return b64(bytes)
}

const segmentIndex = fc.constantFrom(0, 1, 2)

export const MUTATION: fc.Arbitrary<Mutation> = fc.oneof(
  fc.tuple(segmentIndex, fc.nat(4096)).map(([segment, bit]) => mutation(`flip decoded bit ${bit} of segment ${segment}`, (t) => onSegment(t, segment, (part) => flipBit(part, bit)))),
  fc.tuple(segmentIndex, fc.nat(), fc.constantFrom(...B64URL)).map(([segment, i, c]) =>
    mutation(`segment ${segment}: replace char ${i} with ${c}`, (t) => onSegment(t, segment, (part) => `${part.slice(0, at(part.length - 1, i))}${c}${part.slice(at(part.length - 1, i) + 1)}`))),
  fc.tuple(segmentIndex, fc.nat(), fc.constantFrom(...B64URL, '.', '=', '+', '/', '~', ' ', '\t', '\u00e9', '\u00a0')).map(([segment, i, c]) =>
    mutation(`segment ${segment}: insert ${c} at ${i}`, (t) => onSegment(t, segment, (part) => `${part.slice(0, at(part.length, i))}${c}${part.slice(at(part.length, i))}`))),
  fc.tuple(fc.nat(), fc.integer({ min: 1, max: 8 })).map(([i, n]) => mutation(`delete ${n} chars at ${i}`, (t) => `${t.slice(0, at(t.length, i))}${t.slice(at(t.length, i) + n)}`)),
  fc.nat().map((i) => mutation(`truncate at ${i}`, (t) => t.slice(0, at(t.length, i)))),
  fc.tuple(segmentIndex, fc.constantFrom<Encoding>(...ENCODINGS)).map(([segment, encoding]) =>
    mutation(`respell segment ${segment} as ${encoding}`, (t) => onSegment(t, segment, (part) => respell(part, encoding)))),
  fc.constantFrom(
    mutation('swap header and payload', (t) => { const [h, p, s] = t.split('.'); return `${p}.${h}.${s}` }),
    mutation('swap payload and signature', (t) => { const [h, p, s] = t.split('.'); return `${h}.${s}.${p}` }),
    mutation('header as signature', (t) => { const [h, p] = t.split('.'); return `${h}.${p}.${h}` }),
    mutation('signature twice', (t) => { const [h, p, s] = t.split('.'); return `${h}.${p}.${s}.${s}` }),
    mutation('drop the signature', (t) => { const [h, p] = t.split('.'); return `${h}.${p}.` }),
    mutation('drop the signature and its dot', (t) => { const [h, p] = t.split('.'); return `${h}.${p}` }),
    mutation('drop the payload', (t) => { const [h, , s] = t.split('.'); return `${h}.${s}` }),
    mutation('empty payload', (t) => { const [h, , s] = t.split('.'); return `${h}..${s}` }),
    mutation('append "="', (t) => `${t}=`),
    mutation('append "=="', (t) => `${t}==`),
    mutation('append "."', (t) => `${t}.`),
    mutation('upper-case', (t) => t.toUpperCase()),
    mutation('signature of zero bytes of the same length', (t) => onSegment(t, 2, (part) => b64(Buffer.alloc(Buffer.from(part, 'base64url').length)))),
    mutation('unchanged', (t) => t),
  ),
)

/** One to three mutations applied in turn. */
export const mutations: fc.Arbitrary<readonly Mutation[]> = fc.array(MUTATION, { minLength: 1, maxLength: 3 })
