/**
 * One-command demo: a fake OAuth issuer and the calendar API on 127.0.0.1, tokens of
 * different scopes, a self-check that calls the API with each, and curl commands to try.
 * Runs until Ctrl-C; with DEMO_EXIT_AFTER_CHECK=1 it exits after the self-check (0 when
 * every status was the expected one, 1 otherwise), for tests and CI.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createFakeIssuer } from '@scopeguard/testing'
import { createApp } from './app.js'

const AUDIENCE = 'https://api.example.com/calendar'
const HOUR = 3600

/** One request of the self-check, and of the printed curl commands. */
interface Check {
  readonly expect: number
  readonly why: string
  readonly method: 'GET' | 'POST' | 'DELETE'
  readonly path: string
  readonly token?: TokenName
  readonly body?: object
}
type TokenName = 'READ' | 'READ_WRITE' | 'NO_SCOPES' | 'EXPIRED'

const appointment = { title: 'Dentist', start: '2030-01-15T09:00:00Z' }

// The DELETE requests need an appointment that exists, so each round gets its own.
function checks(deletableId: string): Check[] {
  return [
    { expect: 200, why: 'no token needed: /health is declared before auth()', method: 'GET', path: '/health' },
    { expect: 200, why: 'read:appointments may list', method: 'GET', path: '/appointments', token: 'READ' },
    { expect: 201, why: 'read + write may create', method: 'POST', path: '/appointments', token: 'READ_WRITE', body: appointment },
    { expect: 401, why: 'no token: a Bearer challenge with only its realm, no error code (RFC 6750 §3.1)', method: 'GET', path: '/appointments' },
    { expect: 401, why: 'expired token: error="invalid_token"', method: 'GET', path: '/appointments', token: 'EXPIRED' },
    { expect: 403, why: 'no scopes: error="insufficient_scope", scope= says what to ask for', method: 'GET', path: '/appointments', token: 'NO_SCOPES' },
    { expect: 403, why: 'read only cannot create: scope= lists both scopes', method: 'POST', path: '/appointments', token: 'READ', body: appointment },
    { expect: 403, why: 'any-of: read alone is neither admin nor read + write', method: 'DELETE', path: `/appointments/${deletableId}`, token: 'READ' },
    { expect: 204, why: 'any-of: read + write may delete (so may admin)', method: 'DELETE', path: `/appointments/${deletableId}`, token: 'READ_WRITE' },
  ]
}

/** Listens on 127.0.0.1 only: the demo's tokens are for anyone who can reach it. */
function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject)
      resolve()
    })
  })
}

// ES256 rather than the default RS256: its signatures are a quarter as long, so the tokens paste easily.
const issuer = await createFakeIssuer({ audience: AUDIENCE, algorithm: 'ES256' })
const server = createServer(createApp({ issuer: issuer.url, audience: AUDIENCE }))
const port = Number(process.env.PORT ?? 3000)
try {
  await listen(server, port)
} catch (error) {
  if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error
  console.log(`Port ${port} is busy; using a free port instead.`)
  await listen(server, 0)
}
const api = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

// A long lifetime so the printed commands keep working while you try them.
const mint = (scope?: string): Promise<string> => issuer.token({ subject: 'alice', scope, expiresIn: HOUR })
const tokens: Record<TokenName, string> = {
  READ: await mint('read:appointments'),
  READ_WRITE: await mint('read:appointments write:appointments'),
  NO_SCOPES: await mint(),
  EXPIRED: await issuer.bad.expired({ subject: 'alice', scope: 'read:appointments' }),
}

function send(check: Omit<Check, 'expect' | 'why'>): Promise<Response> {
  const headers: Record<string, string> = {}
  if (check.token) headers.authorization = `Bearer ${tokens[check.token]}`
  if (check.body) headers['content-type'] = 'application/json'
  return fetch(api + check.path, { method: check.method, headers, body: check.body && JSON.stringify(check.body) })
}

async function createAppointment(): Promise<string> {
  const res = await send({ method: 'POST', path: '/appointments', token: 'READ_WRITE', body: appointment })
  return ((await res.json()) as { id: string }).id
}

function curl(check: Check): string {
  const method = check.method === 'DELETE' ? ' -X DELETE' : ''
  const token = check.token ? ` -H "Authorization: Bearer $${check.token}"` : ''
  const body = check.body ? ` -H 'Content-Type: application/json' -d '${JSON.stringify(check.body)}'` : ''
  return `curl -i${method} ${api}${check.path}${token}${body}`
}

console.log(`Fake issuer:  ${issuer.url}\nCalendar API: ${api} (audience ${AUDIENCE})\n\nSelf-check:`)
let failures = 0
for (const check of checks(await createAppointment())) {
  const res = await send(check)
  await res.arrayBuffer()
  if (res.status !== check.expect) failures++
  const verdict = res.status === check.expect ? 'ok  ' : `FAIL (expected ${check.expect})`
  console.log(`  ${verdict} ${res.status} ${check.method} ${check.path}${check.token ? ` with ${check.token}` : ''}`)
  const challenge = res.headers.get('www-authenticate')
  if (challenge) console.log(`         WWW-Authenticate: ${challenge}`)
}
console.log(failures === 0 ? '  All statuses as expected.' : `  ${failures} unexpected status(es).`)

console.log('\nTry it (bash/zsh): paste the token lines once, then any command. Tokens last an hour.\n')
for (const [name, token] of Object.entries(tokens)) console.log(`${name}='${token}'`)
for (const check of checks(await createAppointment())) console.log(`\n# ${check.expect}: ${check.why}\n${curl(check)}`)

async function shutdown(): Promise<void> {
  server.close()
  server.closeAllConnections()
  await issuer.close()
}

if (process.env.DEMO_EXIT_AFTER_CHECK === '1') {
  await shutdown()
  process.exitCode = failures === 0 ? 0 : 1
} else {
  console.log('\nRunning; press Ctrl-C to stop.')
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      console.log(`\n${signal}: shutting down.`)
      void shutdown()
    })
  }
}
