import { anyOf, auth, defineScopes, type FastifyAuthOptions } from '@scopeguard/fastify'
import Fastify, { type FastifyInstance } from 'fastify'

/** A project on the shared board. */
export interface Project {
  readonly id: string
  readonly name: string
  /** `sub` of the user who created it. */
  readonly owner: string
}

/** Options of {@link createApp}: `issuer` and `audience` are required, any other `auth()` option may be added. */
export type ProjectsAppOptions = { issuer: string; audience: string } & Partial<FastifyAuthOptions>

/**
 * The API's scopes, declared once: `requireScopes` accepts only these (a typo does not
 * compile), `write:projects` implies `read:projects`, and `admin` implies every scope.
 */
export const { catalogue, requireScopes } = defineScopes({
  'read:projects': 'See the projects',
  'write:projects': { description: 'Create projects', implies: ['read:projects'] },
  'delete:projects': 'Delete projects',
  admin: { description: 'Full access', implies: '*' },
})

/**
 * The projects API. Projects live in memory, one board per app, so every test gets a fresh
 * one. The `audience` is also the RFC 9728 resource identifier: clients that get a 401 find
 * the authorization server through the metadata document its challenge names.
 *
 * @example
 * await createApp({ issuer: 'https://idp.example.com/', audience: 'https://api.example.com/projects' }).listen({ port: 3000 })
 */
export function createApp(options: ProjectsAppOptions): FastifyInstance {
  const projects = new Map<string, Project>()
  let lastId = 0
  const app = Fastify()
  // A board belongs to people, so tokens without `sub` (client credentials) are refused.
  // auth() checks its options now: a misconfiguration stops the app at start-up.
  const authenticate = auth({ requiredClaims: ['exp', 'sub'], scopes: catalogue, resourceMetadata: { resource: options.audience }, ...options })

  // Public, so load balancers can probe it without a token.
  app.get('/health', async () => ({ status: 'ok' }))

  // The RFC 9728 metadata document is public too, and lives at the root
  // (/.well-known/oauth-protected-resource/projects), outside the plugin below.
  app.addHook('onRequest', authenticate.metadataEndpoint)

  // Every route of this plugin needs a valid token: the auth() plugin's hook applies to the
  // context it is registered in (Fastify's encapsulation), so /health stays public.
  void app.register(async (api) => {
    await api.register(authenticate)

    api.get('/projects', { preHandler: requireScopes('read:projects') }, async () => [...projects.values()])

    api.post<{ Body: { name: string } }>(
      '/projects',
      {
        preHandler: requireScopes('write:projects'),
        schema: { body: { type: 'object', required: ['name'], properties: { name: { type: 'string', minLength: 1 } } } },
      },
      async (request, reply) => {
        // Set on every route of this plugin: its auth() hook let the request through.
        const owner = request.auth!.claims.sub ?? ''
        const project: Project = { id: String(++lastId), name: request.body.name, owner }
        projects.set(project.id, project)
        return reply.code(201).send(project)
      },
    )

    // Any-of: an administrator, or someone allowed to delete projects.
    api.delete<{ Params: { id: string } }>('/projects/:id', { preHandler: requireScopes(anyOf('admin', 'delete:projects')) }, async (request, reply) => {
      if (!projects.delete(request.params.id)) return reply.code(404).send({ error: 'No such project' })
      return reply.code(204).send()
    })
  })
  return app
}
