import { allOf, anyOf, compileRequirement, type CompiledRequirement } from './requirement.js'

/**
 * The property every `requireScopes()` middleware carries its compiled requirement under.
 * A registry symbol (`Symbol.for`), so two copies of scopeguard in one app still read each
 * other's tags.
 */
export const REQUIREMENT = Symbol.for('scopeguard.requirement')

/** A route and the scopes it requires, for documentation and OpenAPI. */
export interface RouteRequirement {
  /** HTTP method, upper case; `'ALL'` for a route that answers every method. */
  readonly method: string
  /** The route path as declared, mount prefixes included, e.g. `/api/appointments/:id`. */
  readonly path: string
  /** What the route requires, as `requireScopes()` declared it. */
  readonly requirement: {
    /** Disjunctive normal form: one alternative's scopes, all of them, are enough. */
    readonly alternatives: readonly (readonly string[])[]
    /** Readable form, e.g. `admin OR (read:appointments AND write:appointments)`. */
    readonly description: string
  }
}

/** Attaches `requirement` to a middleware function, so route listings can find it. */
export function tagRequirement<F extends object>(middleware: F, requirement: CompiledRequirement): F {
  // Not enumerable: frameworks and loggers that copy or print the function never see it.
  Object.defineProperty(middleware, REQUIREMENT, { value: requirement })
  return middleware
}

/** The requirement a `requireScopes()` middleware carries, or `undefined` for any other value. */
export function requirementOf(value: unknown): CompiledRequirement | undefined {
  if (typeof value !== 'function' && (typeof value !== 'object' || value === null)) return undefined
  const tag = (value as { [REQUIREMENT]?: unknown })[REQUIREMENT]
  if (typeof tag !== 'object' || tag === null) return undefined
  const { alternatives, description } = tag as Partial<CompiledRequirement>
  return Array.isArray(alternatives) && typeof description === 'string' ? (tag as CompiledRequirement) : undefined
}

/**
 * The requirement of a route guarded by several `requireScopes()` (a router-level one and
 * the route's own, say): all of them must hold.
 */
export function combineRequirements(requirements: readonly CompiledRequirement[]): RouteRequirement['requirement'] {
  const [only] = requirements
  if (requirements.length === 1 && only !== undefined) {
    return { alternatives: only.alternatives, description: only.description }
  }
  const combined = compileRequirement(
    requirements.map((requirement) => anyOf(...requirement.alternatives.map((alternative) => allOf(...alternative)))),
    'listRoutes()',
  )
  const description = requirements
    .map((requirement) => (requirements.length > 1 && requirement.description.includes(' OR ') ? `(${requirement.description})` : requirement.description))
    .join(' AND ')
  return { alternatives: combined.alternatives, description }
}

/** Joins a mount prefix and a route path: `('/api/', '/items')` → `/api/items`, `('', '/')` → `/`. */
export function joinRoutePath(prefix: string, path: string): string {
  const head = prefix.replace(/\/+$/, '')
  if (path === '' || path === '/') return head === '' ? '/' : head
  return `${head}${path.startsWith('/') ? path : `/${path}`}`
}

/** Whether middleware mounted at `prefix` runs for a route at `path` (Express and Koa prefix rules). */
export function prefixCovers(prefix: string, path: string): boolean {
  const head = prefix.replace(/\/+$/, '')
  return head === '' || path === head || path.startsWith(`${head}/`)
}

// A route declared with `all()` lists every method; these eight together say "all".
const EVERY_METHOD_MARKERS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'TRACE', 'CONNECT']

/**
 * Normalises a route's methods for listing: upper case, no duplicates, no `HEAD` beside `GET`
 * (both frameworks answer `HEAD` through the `GET` route), and `['ALL']` for `all()` routes.
 */
export function routeMethods(methods: Iterable<string>): string[] {
  const set = new Set([...methods].map((method) => method.toUpperCase()))
  if (EVERY_METHOD_MARKERS.every((method) => set.has(method))) return ['ALL']
  if (set.has('GET')) set.delete('HEAD')
  return [...set]
}
