import { isScopeToken } from './scope-token.js'

/** A route's scope requirement: a scope, or an all-of / any-of combination of requirements. */
export type ScopeRequirement = string | AllOfRequirement | AnyOfRequirement

/** Satisfied when every listed requirement is. */
export interface AllOfRequirement {
  readonly allOf: readonly ScopeRequirement[]
}

/** Satisfied when at least one listed requirement is. */
export interface AnyOfRequirement {
  readonly anyOf: readonly ScopeRequirement[]
}

/**
 * All of the given requirements, e.g. `allOf('read:appointments', 'write:appointments')`.
 * The scopes keep their literal types, so a scope catalogue's `requireScopes` can check them.
 */
export function allOf<const R extends readonly ScopeRequirement[]>(...requirements: R): { readonly allOf: R } {
  return { allOf: requirements }
}

/** Any one of the given requirements, e.g. `anyOf('admin', allOf('read', 'write'))`; literal types kept, as {@link allOf}. */
export function anyOf<const R extends readonly ScopeRequirement[]>(...requirements: R): { readonly anyOf: R } {
  return { anyOf: requirements }
}

/** A requirement checked and flattened once, at declaration time. */
export interface CompiledRequirement {
  /**
   * The requirement in disjunctive normal form: it is met when every scope of at least one
   * alternative is granted. Alternatives are minimal (none contains another), in declared order.
   * (Compiled by a scope catalogue, a scope implying a listed one counts as that scope.)
   */
  readonly alternatives: readonly (readonly string[])[]
  /** Whether the granted scopes meet the requirement (exact, case-sensitive comparison). */
  isSatisfiedBy(granted: ReadonlySet<string>): boolean
  /**
   * The RFC 6750 §3 `scope` attribute for a 403: the alternative needing the fewest scopes
   * the token lacks (ties go to the one declared first), as space-delimited scope tokens.
   */
  scopeToRequest(granted: ReadonlySet<string>): string
  /** Readable form for messages and documentation, e.g. `admin OR (read AND write)`. */
  readonly description: string
}

/** Bounds the flattened form; a requirement needing more alternatives is rejected at start-up. */
const MAX_ALTERNATIVES = 256

/**
 * Validates and compiles requirements given as `requireScopes(...)` arguments (all of them
 * must hold). Throws a `TypeError` that says what is wrong and how to fix it; this runs when a
 * route is declared, so a bad scope stops the app at start-up rather than failing requests.
 */
export function compileRequirement(requirements: readonly ScopeRequirement[], caller = 'requireScopes()'): CompiledRequirement {
  const root: AllOfRequirement = { allOf: requirements }
  const alternatives = flatten(root, caller, 'arguments')
  const description = describe(root, true)
  const [only] = alternatives
  if (alternatives.length === 1 && only !== undefined && only.length === 1) {
    // The common `requireScopes('read:appointments')`: one set lookup per request.
    const scope = only[0] as string
    return {
      alternatives,
      description,
      isSatisfiedBy: (granted) => granted.has(scope),
      scopeToRequest: () => scope,
    }
  }
  const joined = alternatives.map((alternative) => alternative.join(' '))
  return {
    alternatives,
    description,
    isSatisfiedBy: (granted) => alternatives.some((alternative) => alternative.every((scope) => granted.has(scope))),
    scopeToRequest(granted) {
      let best = 0
      let fewestMissing = Infinity
      alternatives.forEach((alternative, index) => {
        const missing = alternative.reduce((count, scope) => (granted.has(scope) ? count : count + 1), 0)
        if (missing < fewestMissing) {
          fewestMissing = missing
          best = index
        }
      })
      return joined[best] as string
    },
  }
}

function flatten(requirement: unknown, caller: string, where: string): string[][] {
  if (typeof requirement === 'string') {
    if (!isScopeToken(requirement)) {
      throw new TypeError(
        `${caller}: ${JSON.stringify(requirement)} in ${where} is not a valid scope. ` +
          'RFC 6749 §3.3 scopes are non-empty printable ASCII without spaces, \'"\' or \'\\\'; ' +
          "pass each scope as its own argument, e.g. requireScopes('read:appointments', 'write:appointments').",
      )
    }
    return [[requirement]]
  }
  if (typeof requirement === 'object' && requirement !== null) {
    const all = (requirement as Partial<AllOfRequirement>).allOf
    const any = (requirement as Partial<AnyOfRequirement>).anyOf
    const list = all ?? any
    if (Array.isArray(list) && (all === undefined) !== (any === undefined)) {
      if (list.length === 0) {
        throw new TypeError(`${caller}: ${where} lists no scopes; name at least one scope, e.g. requireScopes('read:appointments').`)
      }
      const children = list.map((child, index) =>
        flatten(child, caller, `${all !== undefined ? 'allOf' : 'anyOf'}[${index}] of ${where}`),
      )
      const result = minimise(all !== undefined ? children.reduce((left, right) => product(left, right, caller)) : children.flat())
      if (result.length > MAX_ALTERNATIVES) throw tooManyAlternatives(caller)
      return result
    }
  }
  throw new TypeError(
    `${caller}: ${where} must be a scope string, allOf(...) or anyOf(...); got ${describeValue(requirement)}.`,
  )
}

function product(left: string[][], right: string[][], caller: string): string[][] {
  const out: string[][] = []
  for (const a of left) for (const b of right) out.push([...new Set([...a, ...b])])
  // Simplified before counting: allOf(anyOf(a, b), anyOf(a, b), ...) stays at two alternatives.
  const simplified = minimise(out)
  if (simplified.length > MAX_ALTERNATIVES) throw tooManyAlternatives(caller)
  return simplified
}

function tooManyAlternatives(caller: string): TypeError {
  return new TypeError(
    `${caller}: the requirement expands to more than ${MAX_ALTERNATIVES} alternatives; simplify it or split it across routes.`,
  )
}

/** Drops duplicate alternatives and those that contain another (absorption: a OR (a AND b) = a). */
function minimise(alternatives: string[][]): string[][] {
  const sets = alternatives.map((alternative) => new Set(alternative))
  return alternatives.filter((alternative, index) =>
    !sets.some((other, otherIndex) => {
      if (otherIndex === index) return false
      const contained = [...other].every((scope) => alternative.includes(scope))
      // Equal sets: keep the first; a strict subset elsewhere makes this one redundant.
      return contained && (other.size < alternative.length || otherIndex < index)
    }),
  )
}

function describe(requirement: ScopeRequirement, top = false): string {
  if (typeof requirement === 'string') return requirement
  const isAll = (requirement as Partial<AllOfRequirement>).allOf !== undefined
  const children = isAll ? (requirement as AllOfRequirement).allOf : (requirement as AnyOfRequirement).anyOf
  // A single child adds no grouping: `[anyOf(a, b)]` reads `a OR b`.
  if (children.length === 1) return describe(children[0] as ScopeRequirement, top)
  const text = children.map((child) => describe(child)).join(isAll ? ' AND ' : ' OR ')
  return top ? text : `(${text})`
}

function describeValue(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array (spread it: requireScopes(...scopes))'
  if (typeof value === 'object') return 'an object without exactly one of allOf / anyOf'
  return typeof value
}
