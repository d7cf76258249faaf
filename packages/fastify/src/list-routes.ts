import type { RouteRequirement } from '@scopeguard/core'
import { combineRequirements, processWide, requirementOf, routeMethods, type CompiledRequirement } from '@scopeguard/core/adapter'
import type { FastifyInstance, RouteOptions } from 'fastify'

/** A route as an `onRoute` hook saw it, with the methods its app supports. */
interface RecordedRoute {
  /**
   * The options object Fastify passes to every `onRoute` hook and builds the route from. Read
   * when routes are listed, so what a later `onRoute` hook added to the route's hooks counts.
   */
  readonly options: RouteOptions
  readonly supportedMethods: readonly string[]
}

interface AppRecord {
  readonly routes: RecordedRoute[]
  readonly seen: WeakSet<RouteOptions>
}

// One record per app, keyed by its server, which the app and every encapsulated context share.
// Process-wide, so that two copies of this package (its ESM and its CommonJS build) read one record.
const records = processWide('fastify routes', () => new WeakMap<object, AppRecord>())

// The route options whose hooks can carry a guard, in the order Fastify runs them.
const GUARD_HOOKS = ['onRequest', 'preValidation', 'preHandler'] as const

/** Records every route declared in `instance` (and its children) from now on, for {@link listRoutes}. */
export function recordRoutes(instance: FastifyInstance): void {
  let record = records.get(instance.server)
  if (record === undefined) records.set(instance.server, (record = { routes: [], seen: new WeakSet() }))
  const { routes, seen } = record
  instance.addHook('onRoute', (options) => {
    // Two auth() plugins on one path through the contexts see each route twice.
    if (seen.has(options)) return
    seen.add(options)
    routes.push({ options, supportedMethods: instance.supportedMethods })
  })
}

/**
 * Lists the routes guarded by `requireScopes()` (plain, bound to an `auth()`, or from
 * `defineScopes()`), with the requirement each one has, for documentation and
 * `catalogue.openApi()`. A guard counts when it is in the route's `onRequest`,
 * `preValidation` or `preHandler` option, including one an `onRoute` hook put there; a hook
 * added with `addHook()` belongs to no route and is not seen. Fastify keeps no list of routes,
 * so they are recorded as they are declared by the `auth()` plugin: register it first
 * (`await app.register(authenticate)`, or with `{ global: false }`). Paths are as declared,
 * prefixes included; the `HEAD` route Fastify adds beside each `GET` is left out, and
 * `app.all()` routes are `'ALL'`. Throws a `TypeError` for an app no `auth()` plugin was
 * registered on.
 */
export function listRoutes(app: FastifyInstance): RouteRequirement[] {
  const record = records.get(app.server)
  if (record === undefined) {
    throw new TypeError(
      'listRoutes(app): no auth() plugin is registered on this app, and Fastify keeps no list of routes. Register one before ' +
        'declaring the routes: await app.register(authenticate), or app.register(authenticate, { global: false }) when routes are ' +
        'guarded one by one.',
    )
  }
  const listed: RouteRequirement[] = []
  const getRoutes = new Map<string, string>()
  for (const { options, supportedMethods } of record.routes) {
    const requirements = GUARD_HOOKS.flatMap((name) => [options[name] ?? []].flat())
      .map(requirementOf)
      .filter((tag): tag is CompiledRequirement => tag !== undefined)
    if (requirements.length === 0) continue
    const requirement = combineRequirements(requirements)
    const declared = [options.method].flat()
    const methods = supportedMethods.every((method) => declared.includes(method)) ? ['ALL'] : routeMethods(declared)
    for (const method of methods) {
      if (method === 'GET') getRoutes.set(options.url, requirement.description)
      // The HEAD route Fastify exposes beside a GET one has the GET's hooks.
      if (method === 'HEAD' && getRoutes.get(options.url) === requirement.description) continue
      listed.push({ method, path: options.url, requirement })
    }
  }
  return listed
}
