// Fastify 5 + @fastify/jwt + get-jwks, as @fastify/jwt's README verifies with a JWKS; it has
// no scope check, so a preHandler checks `request.user.scope`, as its users do. get-jwks caches
// the JWK but converts it to PEM on every request (about 5 ms for an EC key, 0.1 ms for RSA).
import fastifyJwt, { type TokenOrHeader } from '@fastify/jwt'
import Fastify, { type FastifyRequest } from 'fastify'
import buildGetJwks from 'get-jwks'
import { ROUTE, serve, serverSettings } from './serve.js'

const settings = serverSettings()
// get-jwks fetches `<iss>/<jwksPath>` (by default `.well-known/jwks.json`): the same JWKS.
const jwksPath = new URL(settings.jwksUri).pathname.slice(new URL(settings.issuer).pathname.length)
const getJwks = buildGetJwks({ issuersWhitelist: [settings.issuer], jwksPath })
const app = Fastify()
await app.register(fastifyJwt, {
  decode: { complete: true },
  secret: (_request: FastifyRequest, token: TokenOrHeader) => {
    const { header, payload } = token as { header: { kid?: string; alg?: string }; payload: { iss?: string } }
    return getJwks.getPublicKey({ kid: header.kid, alg: header.alg, domain: payload.iss })
  },
  verify: { allowedIss: settings.issuer, allowedAud: settings.audience, algorithms: [settings.algorithm] },
})
app.addHook('onRequest', async (request) => {
  await request.jwtVerify()
})
app.get(ROUTE, {
  preHandler: async (request, reply) => {
    const scope = (request.user as { scope?: unknown }).scope
    if (typeof scope !== 'string' || !scope.split(' ').includes(settings.scope)) return reply.code(403).send({ error: 'insufficient_scope' })
  },
}, async () => ({ ok: true }))
await app.ready()
serve(app.routing)
