import { closestMatch } from '../lib/did-you-mean.js'
import type { RouteRequirement } from './route-requirement.js'
import type { ScopeEntry } from './scope-groups.js'

/**
 * OpenAPI 3.1 OAuth Flows Object (§4.8.29) without `scopes`: the catalogue adds them. Give
 * at least one flow.
 */
export interface OpenApiOAuthFlows {
  readonly implicit?: { readonly authorizationUrl: string; readonly refreshUrl?: string }
  readonly password?: { readonly tokenUrl: string; readonly refreshUrl?: string }
  readonly clientCredentials?: { readonly tokenUrl: string; readonly refreshUrl?: string }
  readonly authorizationCode?: { readonly authorizationUrl: string; readonly tokenUrl: string; readonly refreshUrl?: string }
}

/** Options of `catalogue.openApi()`. */
export interface OpenApiOptions {
  /** Name of the security scheme in `components.securitySchemes`. Default `'oauth2'`. */
  readonly schemeName?: string
  /** The authorization server's flows and endpoints. Required. */
  readonly flows: OpenApiOAuthFlows
}

/** The OAuth flows with every catalogue scope and its description on each flow. */
export type OpenApiOAuthFlowsWithScopes = {
  readonly [F in keyof OpenApiOAuthFlows]?: NonNullable<OpenApiOAuthFlows[F]> & { readonly scopes: Readonly<Record<string, string>> }
}

/** An OpenAPI 3.1 Security Requirement Object: scheme name → scopes, all of them needed. */
export type OpenApiSecurityRequirement = Readonly<Record<string, readonly string[]>>

/** The parts of an OpenAPI 3.1 document scopeguard can fill in; merge them into yours. */
export interface OpenApiSecurity {
  readonly components: {
    readonly securitySchemes: Readonly<Record<string, { readonly type: 'oauth2'; readonly flows: OpenApiOAuthFlowsWithScopes }>>
  }
  /** Path → lower-case method → `security`: the alternatives OR'ed, each one's scopes AND'ed. */
  readonly paths: Readonly<Record<string, Readonly<Record<string, { readonly security: readonly OpenApiSecurityRequirement[] }>>>>
}

const FLOW_URLS: Readonly<Record<keyof OpenApiOAuthFlows, readonly string[]>> = {
  implicit: ['authorizationUrl'],
  password: ['tokenUrl'],
  clientCredentials: ['tokenUrl'],
  authorizationCode: ['authorizationUrl', 'tokenUrl'],
}

/** OpenAPI 3.1 §4.8.8: the operations a Path Item Object has. */
const OPERATIONS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const

function fail(message: string): never {
  throw new TypeError(`scopeguard: openApi(): ${message}`)
}

/**
 * Builds the OpenAPI security scheme of a catalogue and, for each route, its `security`.
 * A route's requirement in disjunctive normal form maps one to one: OpenAPI ORs the
 * requirement objects of a `security` array and ANDs the scopes inside one (§4.8.30).
 * Throws a `TypeError` when a route needs a scope the catalogue does not declare: the
 * document would promise a scope no flow grants.
 */
export function buildOpenApiSecurity(
  entries: readonly ScopeEntry[],
  options: OpenApiOptions,
  routes: readonly RouteRequirement[] = [],
): OpenApiSecurity {
  if (typeof options !== 'object' || options === null) {
    fail("pass { flows }, e.g. openApi({ flows: { authorizationCode: { authorizationUrl: 'https://idp.example.com/authorize', tokenUrl: 'https://idp.example.com/token' } } }).")
  }
  const schemeName = options.schemeName ?? 'oauth2'
  // OpenAPI 3.1 §4.8.7: component names match ^[a-zA-Z0-9.\-_]+$.
  if (typeof schemeName !== 'string' || !/^[a-zA-Z0-9.\-_]+$/.test(schemeName)) {
    fail(`\`schemeName\` must be letters, digits, '.', '-' or '_' (OpenAPI component names); got ${JSON.stringify(schemeName)}.`)
  }
  const flows = options.flows as Record<string, Record<string, unknown> | undefined> | undefined
  if (typeof flows !== 'object' || flows === null || Object.keys(flows).length === 0) {
    fail('`flows` must name at least one OAuth flow: implicit, password, clientCredentials or authorizationCode.')
  }
  const scopes = Object.fromEntries(entries.map((entry) => [entry.scope, entry.description]))
  const withScopes: Record<string, unknown> = {}
  for (const [name, flow] of Object.entries(flows)) {
    const required = FLOW_URLS[name as keyof OpenApiOAuthFlows] as readonly string[] | undefined
    if (required === undefined) fail(`unknown flow \`${name}\`; OpenAPI 3.1 flows are ${Object.keys(FLOW_URLS).join(', ')}.`)
    if (typeof flow !== 'object' || flow === null) fail(`\`flows.${name}\` must be an object with ${required.join(' and ')}.`)
    for (const url of required) {
      if (typeof flow[url] !== 'string' || flow[url] === '') fail(`\`flows.${name}.${url}\` is required: the authorization server's URL.`)
    }
    withScopes[name] = { ...flow, scopes }
  }

  const known = entries.map((entry) => entry.scope)
  const paths: Record<string, Record<string, { security: OpenApiSecurityRequirement[] }>> = {}
  for (const route of routes) {
    const path = openApiPath(route.path)
    if (path === undefined) continue
    const security = route.requirement.alternatives.map((alternative) => {
      for (const scope of alternative) {
        if (!Object.hasOwn(scopes, scope)) {
          const suggestion = closestMatch(scope, known)
          fail(
            `${route.method} ${route.path} requires ${JSON.stringify(scope)}, which the catalogue does not declare` +
              `${suggestion === undefined ? '' : ` (did you mean ${JSON.stringify(suggestion)}?)`}; ` +
              "declare it, or guard the route with the catalogue's requireScopes().",
          )
        }
      }
      return { [schemeName]: [...alternative] }
    })
    const methods = route.method === 'ALL' ? OPERATIONS : OPERATIONS.filter((operation) => operation === route.method.toLowerCase())
    if (methods.length === 0) continue
    const item = (paths[path] ??= {})
    // The first route declared for a path and method is the one that answers, as in the frameworks.
    for (const method of methods) item[method] ??= { security }
  }
  return { components: { securitySchemes: { [schemeName]: { type: 'oauth2', flows: withScopes } } }, paths }
}

/**
 * An Express / Koa route path as an OpenAPI path template: `:id` (with an optional
 * `(regex)` constraint or `?`) and `*splat` become `{id}` and `{splat}`; optional groups
 * `{/:id}` are shown as present. `undefined` for a regular-expression path, which no
 * template can express.
 */
export function openApiPath(path: string): string | undefined {
  const template = path
    .replace(/\{([^{}]*)\}/g, '$1')
    .replace(/:(\w+)(?:\((?:\\.|[^)\\])*\))?\??/g, '{$1}')
    .replace(/\/\*(\w+)/g, '/{$1}')
  return template.startsWith('/') && !/[()[\]*+?|^$\\]/.test(template) ? template : undefined
}
