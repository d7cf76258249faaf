import { closestMatch } from '../lib/did-you-mean.js'
import { anyOf, compileRequirement, type CompiledRequirement, type ScopeRequirement } from './requirement.js'
import type { RouteRequirement } from './route-requirement.js'
import { groupScopesByResource, type ScopeEntry, type ScopeGroup } from './scope-groups.js'
import { buildOpenApiSecurity, type OpenApiOptions, type OpenApiSecurity } from './scope-openapi.js'
import { isScopeToken } from './scope-token.js'

/**
 * How one scope is declared: its description, or the description and the scopes it implies.
 * `implies: '*'` implies every other scope of the catalogue (an `admin` scope).
 */
export type ScopeDefinition<S extends string = string> =
  | string
  | { readonly description: string; readonly implies?: readonly S[] | '*' }

/**
 * What `defineScopeCatalogue()` takes: scope → {@link ScopeDefinition}. Written as a
 * constraint on `D` itself so `implies` may name only scopes of the same catalogue.
 */
export type ScopeCatalogueDefinition<D> = { readonly [K in keyof D]: ScopeDefinition<Extract<keyof D, string>> }

/** The scope names of a catalogue definition, as string literal types. */
export type ScopeNames<D> = Extract<keyof D, string>

/**
 * A scope requirement whose scopes must be catalogue scopes, checked by the compiler:
 * `requireScopes('read:apointments')` does not type-check when the catalogue has
 * `read:appointments`. `allOf` / `anyOf` keep literal types, so nesting is checked too.
 */
export type ScopeRequirementOf<S extends string> =
  | S
  | { readonly allOf: readonly ScopeRequirementOf<S>[] }
  | { readonly anyOf: readonly ScopeRequirementOf<S>[] }

/** The declared scopes of an API: what they mean, what they imply, and checks built on them. */
export interface ScopeCatalogue<S extends string = string> {
  /** Every declared scope, in declaration order (published as RFC 9728 `scopes_supported`). */
  readonly scopes: readonly S[]
  /** The description of `scope`, or `undefined` when the catalogue does not declare it. */
  describe(scope: string): string | undefined
  /** Whether the catalogue declares `scope`. */
  has(scope: string): scope is S
  /** The scopes `scope` implies, transitively, itself excluded, in declaration order. */
  implied(scope: S): readonly S[]
  /**
   * Compiles `requireScopes()` arguments against the catalogue. Throws a `TypeError` at
   * start-up for a scope the catalogue does not declare, suggesting the closest one. A
   * required scope is also satisfied by any scope implying it; the result's `alternatives`,
   * `description` and 403 `scope` attribute still name the scopes as declared.
   */
  compile(requirements: readonly ScopeRequirement[], caller?: string): CompiledRequirement
  /** The scopes grouped by the resource their names act on, for documentation and consent screens. */
  groupByResource(): ScopeGroup<S>[]
  /**
   * The OpenAPI 3.1 `oauth2` security scheme with every scope and its description, and the
   * `security` of each route (e.g. from `listRoutes(app)`), to merge into an OpenAPI document.
   */
  openApi(options: OpenApiOptions, routes?: readonly RouteRequirement[]): OpenApiSecurity
}

const CATALOGUE = Symbol.for('scopeguard.ScopeCatalogue')

/** Whether `value` was made by `defineScopeCatalogue()` (or an adapter's `defineScopes()`). */
export function isScopeCatalogue(value: unknown): value is ScopeCatalogue {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[CATALOGUE] === true
}

/**
 * Declares the scopes an API knows, checked now: every scope is an RFC 6749 §3.3 scope
 * token, every description a non-empty string, and every implication names another
 * declared scope. Implications are transitive and computed here, once.
 *
 * @example
 * const scopes = defineScopeCatalogue({
 *   'read:appointments': 'Read your appointments',
 *   'write:appointments': { description: 'Create and change your appointments', implies: ['read:appointments'] },
 *   admin: { description: 'Full access', implies: '*' },
 * })
 */
export function defineScopeCatalogue<const D extends ScopeCatalogueDefinition<D>>(
  definition: D,
  caller = 'defineScopeCatalogue()',
): ScopeCatalogue<ScopeNames<D>> {
  type S = ScopeNames<D>
    if (typeof definition !== 'object' || definition === null || Array.isArray(definition) || Object.keys(definition).length === 0) {
    failAt(caller, "pass an object of scope → description, e.g. { 'read:appointments': 'Read your appointments' }.")
  }
  const scopes = Object.freeze(Object.keys(definition)) as readonly S[]
  const descriptions = new Map<string, string>()
  const direct = new Map<S, readonly S[] | '*'>()
  for (const scope of scopes) {
    if (!isScopeToken(scope)) {
      failAt(caller, `${JSON.stringify(scope)} is not a valid scope: RFC 6749 §3.3 scopes are printable ASCII without spaces, '"' or '\\'.`)
    }
    const entry: unknown = (definition as Record<string, unknown>)[scope]
    const example = `e.g. ${JSON.stringify(scope)}: 'Read your appointments' or { description: '…', implies: ['…'] }`
    const shape = typeof entry === 'string' ? { description: entry } : entry
    if (typeof shape !== 'object' || shape === null || Array.isArray(shape)) failAt(caller, `${JSON.stringify(scope)} needs a description, ${example}.`)
    const extra = Object.keys(shape as object).filter((key) => key !== 'description' && key !== 'implies')
    if (extra.length > 0) failAt(caller, `${JSON.stringify(scope)} has unknown key \`${extra[0]}\`; a scope has \`description\` and optionally \`implies\`.`)
    const { description, implies } = shape as { description?: unknown; implies?: unknown }
    if (typeof description !== 'string' || description.trim() === '') {
      failAt(caller, `${JSON.stringify(scope)} needs a non-empty description for documentation and consent screens, ${example}.`)
    }
    descriptions.set(scope, description)
    if (implies === undefined || implies === '*') {
      if (implies === '*') direct.set(scope, '*')
      continue
    }
    if (!Array.isArray(implies) || !implies.every((item) => typeof item === 'string')) {
      failAt(caller, `${JSON.stringify(scope)}: \`implies\` must be an array of declared scopes or '*' (every other scope); got ${typeof implies}.`)
    }
    for (const implied of implies as string[]) {
      if (implied === scope) failAt(caller, `${JSON.stringify(scope)} implies itself; remove it from its own \`implies\`.`)
      if (!(scopes as readonly string[]).includes(implied)) {
        failAt(caller, `${JSON.stringify(scope)} implies ${JSON.stringify(implied)}, which is not declared.${suggest(implied, scopes)} Declare it or fix the name.`)
      }
    }
    direct.set(scope, implies as S[])
  }

  // The transitive closure, once: implied(s) for every s, then its inverse. Cycles
  // (a implies b, b implies a) make the scopes equivalent, which is allowed.
  const closure = new Map<S, S[]>()
  for (const scope of scopes) {
    const seen = new Set<S>()
    const pending: S[] = [scope]
    while (pending.length > 0) {
      const next = direct.get(pending.pop() as S)
      for (const implied of next === '*' ? scopes : next ?? []) {
        if (!seen.has(implied)) {
          seen.add(implied)
          pending.push(implied)
        }
      }
    }
    closure.set(scope, scopes.filter((other) => other !== scope && seen.has(other)))
  }
  const satisfiers = new Map<string, S[]>(scopes.map((scope) => [scope, scopes.filter((other) => closure.get(other)?.includes(scope))]))
  const entries: ScopeEntry<S>[] = scopes.map((scope) => ({ scope, description: descriptions.get(scope) as string }))

  const catalogue: ScopeCatalogue<S> = {
    scopes,
    describe: (scope) => descriptions.get(scope),
    has: (scope): scope is S => descriptions.has(scope),
    implied: (scope) => closure.get(scope) ?? [],
    compile(requirements, compileCaller = 'requireScopes()') {
      // Checked as declared first: structure, grammar, and the description and alternatives
      // the route shows; a typo then names the closest declared scope.
      const declared = compileRequirement(requirements, compileCaller)
      const expanded = expand({ allOf: requirements }, (scope) => {
        if (!descriptions.has(scope)) {
          throw new TypeError(
            `${compileCaller}: ${JSON.stringify(scope)} is not in the scope catalogue.${suggest(scope, scopes)} ` +
              `Declared scopes: ${scopes.slice(0, 10).join(', ')}${scopes.length > 10 ? ', …' : ''}.`,
          )
        }
        // s becomes anyOf(s, …scopes implying s), s first: the request-time check stays
        // set lookups over the compiled alternatives.
        const others = satisfiers.get(scope) ?? []
        return others.length === 0 ? scope : anyOf(scope, ...others)
      })
      let check: CompiledRequirement
      try {
        check = compileRequirement([expanded], compileCaller)
      } catch (error) {
        throw new TypeError(`${(error as Error).message} (counting the scopes that imply the required ones)`)
      }
      const isSatisfied = (scope: string, granted: ReadonlySet<string>): boolean =>
        granted.has(scope) || (satisfiers.get(scope) ?? []).some((other) => granted.has(other))
      const joined = declared.alternatives.map((alternative) => alternative.join(' '))
      return {
        alternatives: declared.alternatives,
        description: declared.description,
        isSatisfiedBy: check.isSatisfiedBy,
        // RFC 6750 §3: the scope attribute names what the route declares; choosing among the
        // declared alternatives (not the expanded ones) keeps an `admin` that implies
        // everything from being suggested to every client that lacks a scope.
        scopeToRequest(granted) {
          let best = 0
          let fewestMissing = Infinity
          declared.alternatives.forEach((alternative, index) => {
            const missing = alternative.filter((scope) => !isSatisfied(scope, granted)).length
            if (missing < fewestMissing) {
              fewestMissing = missing
              best = index
            }
          })
          return joined[best] as string
        },
      }
    },
    groupByResource: () => groupScopesByResource(entries),
    openApi: (options, routes) => buildOpenApiSecurity(entries, options, routes),
  }
  Object.defineProperty(catalogue, CATALOGUE, { value: true })
  return Object.freeze(catalogue)
}

/** Rewrites every scope of a requirement; the structure was validated by `compileRequirement`. */
function expand(requirement: ScopeRequirement, rewrite: (scope: string) => ScopeRequirement): ScopeRequirement {
  if (typeof requirement === 'string') return rewrite(requirement)
  if ('allOf' in requirement) return { allOf: requirement.allOf.map((child) => expand(child, rewrite)) }
  return { anyOf: requirement.anyOf.map((child) => expand(child, rewrite)) }
}

function failAt(caller: string, message: string): never {
  throw new TypeError(`scopeguard: ${caller}: ${message}`)
}

function suggest(scope: string, known: readonly string[]): string {
  const match = closestMatch(scope, known)
  return match === undefined ? '' : ` Did you mean ${JSON.stringify(match)}?`
}
