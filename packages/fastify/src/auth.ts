import type { AuthOptions, ScopeCatalogue, ScopeRequirementOf } from '@scopeguard/core'
import { assembleAuth, createAdapterKit, tagRequirement, type AuthMiddlewareMembers } from '@scopeguard/core/adapter'
import type { FastifyInstance, FastifyPluginCallback, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify'
import fp from 'fastify-plugin'
import { act, type FastifyAuthHook } from './act.js'
import { fastifyBinding } from './fastify-binding.js'
import { recordRoutes } from './list-routes.js'

/** Options of the Fastify `auth()` plugin; see `AuthOptions` in `@scopeguard/core`. */
export type FastifyAuthOptions<S extends string = string> = AuthOptions & { scopes?: ScopeCatalogue<S> }

/** Options given to `app.register(authenticate, options)`. */
export interface FastifyAuthPluginOptions {
  /**
   * Whether every request of the context the plugin is registered in must carry a valid token
   * (its hook authenticates each one, and unmatched requests too, as the 404 handler runs the
   * root's hooks). With `false`, only routes guarded by `authenticate.requireScopes(...)` or
   * `authenticate.hook` are authenticated; the plugin still declares `request.auth`, records
   * routes for `listRoutes()` and serves the RFC 9728 metadata document. Default `true`.
   */
  readonly global?: boolean
}

/**
 * What `auth()` returns: a Fastify plugin (`app.register(authenticate)`), route guards that
 * authenticate with it (`{ onRequest: authenticate.requireScopes(...) }`), the authentication
 * hook alone (`authenticate.hook`), and the RFC 9728 metadata endpoint as a hook for apps that
 * register no plugin (`app.addHook('onRequest', authenticate.metadataEndpoint)`).
 */
export interface FastifyAuth<S extends string = string>
  extends FastifyPluginCallback<FastifyAuthPluginOptions>, AuthMiddlewareMembers<FastifyAuthHook, S> {
  /**
   * The hook that authenticates the request and sets `request.auth`, without a scope check:
   * `app.get('/me', { onRequest: authenticate.hook }, handler)`, on routes the registered
   * plugin does not authenticate (with `{ global: false }`, or outside its context): it is the
   * hook the plugin adds, so behind the plugin it would only authenticate the request again.
   */
  readonly hook: FastifyAuthHook
}

/**
 * Creates the Fastify plugin that verifies each request's bearer token and sets
 * `request.auth`. Failures are answered per RFC 6750 §3 through the reply (or handed to
 * Fastify's error handler, `setErrorHandler`, with `handleErrors: false`). All options are
 * checked here, so a misconfiguration throws at start-up.
 *
 * Registered, it authenticates every request of the registering context (and, at the root,
 * requests no route matched) in an `onRequest` hook, before the body is read; with
 * `acceptBodyToken`, in a `preValidation` hook, as an RFC 6750 §2.2 form-body token is only
 * there once Fastify has parsed the body. With `resourceMetadata`, it answers `GET` / `HEAD` /
 * `OPTIONS` on the RFC 9728 metadata path in `onRequest`, before authenticating: register it
 * at the root. Register it before declaring routes (`await app.register(...)`) for
 * `listRoutes()` to see them.
 *
 * @example
 * await app.register(auth({ issuer: 'https://idp.example.com/', audience: 'https://api.example.com/calendar' }))
 * app.get('/appointments', { preHandler: requireScopes('read:appointments') }, list)
 */
export function auth<S extends string = string>(options: FastifyAuthOptions<S>): FastifyAuth<S> {
  const kit = createAdapterKit(options, fastifyBinding)
  // RFC 6750 §2.2: a body token is read from the parsed body, which preValidation is the first
  // hook to see; without body tokens, onRequest refuses a request before its body is read.
  const stage = kit.authenticator.options.acceptBodyToken ? 'preValidation' : 'onRequest'
  const hook = function scopeguardAuth(request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void {
    act(kit.middleware(request), reply, done)
  }
  function requireScopes(...requirements: ScopeRequirementOf<S>[]): FastifyAuthHook {
    const guard = kit.routeGuard(requirements)
    return tagRequirement(function scopeguardRequireScopes(request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void {
      act(guard(request), reply, done)
    }, guard.requirement)
  }
  const metadataEndpoint = function scopeguardMetadataEndpoint(request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void {
    act(kit.metadata(request), reply, done)
  }
  function scopeguardPlugin(instance: FastifyInstance, pluginOptions: FastifyAuthPluginOptions, done: (err?: Error) => void): void {
    // Declared once, so every request keeps one hidden class; a second auth() shares it.
    if (!instance.hasRequestDecorator('auth')) instance.decorateRequest('auth', undefined)
    recordRoutes(instance)
    const global = pluginOptions.global ?? true
    // A metadata request needs no body: answered in onRequest even when authenticating later.
    if (kit.servesMetadata && (!global || stage !== 'onRequest')) instance.addHook('onRequest', metadataEndpoint)
    if (global) instance.addHook(stage, hook)
    done()
  }
  // fastify-plugin: the hooks and the decorator apply to the context that registers the plugin.
  const plugin = fp(scopeguardPlugin, { fastify: '5.x', name: '@scopeguard/fastify' })
  // On Fastify the host is a plugin and its members are hooks.
  const assembled = assembleAuth(plugin, requireScopes, metadataEndpoint, kit.authenticator.resourceMetadata)
  return Object.defineProperty(assembled, 'hook', { value: hook, enumerable: true }) as FastifyAuth<S>
}
