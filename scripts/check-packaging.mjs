// Checks the published shape of every package, as a consumer would meet it:
// 1. publint and are-the-types-wrong on each package;
// 2. the packed tarballs installed with npm into a fresh project, then `require`d (CommonJS),
//    `import`ed (ESM), and the README's quick start type-checked for ESM and CommonJS;
// 3. each tarball's contents: LICENSE (the root one), a README.md whose links work on npm
//    (absolute http(s) URLs or #anchors only), and THIRD_PARTY_NOTICES.md with the licence
//    of every dependency the build inlines (tsup's `noExternal`, e.g. jose in the CJS build).
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

const root = resolve(import.meta.dirname, '..')
const packages = ['core', 'express', 'fastify', 'hono', 'koa', 'node', 'redis', 'testing']
// pnpm exports its settings as npm_config_* variables, which npm then warns about.
const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.toLowerCase().startsWith('npm_config_')))
const run = (command, args, cwd) => execFileSync(command, args, { cwd, stdio: 'inherit', env: { ...env, NODE_NO_WARNINGS: '1' } })

for (const name of packages) {
  const dir = join(root, 'packages', name)
  console.log(`\n# publint + attw: @scopeguard/${name}`)
  run('pnpm', ['exec', 'publint', '--strict'], dir)
  // Node 20.19+ loads our ESM-only dependency (jose) from CommonJS through require(esm).
  run('pnpm', ['exec', 'attw', '--pack', '.', '--profile', 'node16', '--format', 'table-flipped'], dir)
}

const work = mkdtempSync(join(tmpdir(), 'scopeguard-consumer-'))
try {
  const tarballs = join(work, 'tarballs')
  mkdirSync(tarballs)
  for (const name of packages) run('pnpm', ['pack', '--pack-destination', tarballs], join(root, 'packages', name))
  console.log('\n# tarball contents: LICENSE, README.md with absolute links, third-party notices')
  const contentProblems = readdirSync(tarballs).flatMap((file) => checkTarballContents(join(tarballs, file), work))
  if (contentProblems.length > 0) throw new Error(`the tarballs lack what a published package needs:\n  - ${contentProblems.join('\n  - ')}`)
  const files = readdirSync(tarballs).map((file) => `file:./tarballs/${file}`)
  const app = join(work, 'app')
  mkdirSync(app)
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'consumer', private: true, version: '1.0.0' }))
  // The tarballs satisfy each other's "@scopeguard/core": "^0.1.0", so nothing comes from the registry but the peers.
  run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...files.map((f) => f.replace('./', '../')),
    'express@5', 'koa@3', '@koa/router@15', 'fastify@5', 'hono@4', 'redis@6', '@types/express@5', '@types/koa@3', '@types/koa__router', '@types/node@20', 'typescript@5.9', 'jest@30'], app)

  console.log('\n# require() from CommonJS')
  run('node', ['-e', `
    const assert = require('node:assert')
    for (const name of ['core', 'express', 'fastify', 'hono', 'koa', 'node', 'redis', 'testing']) assert.ok(Object.keys(require('@scopeguard/' + name)).length > 0, name)
    assert.strictEqual(typeof require('@scopeguard/express').requireScopes, 'function')
    assert.strictEqual(typeof require('@scopeguard/koa').auth, 'function')
    assert.strictEqual(typeof require('@scopeguard/testing').createFakeIssuer, 'function')
    console.log('ok: require')`], app)

  console.log('\n# import from ESM')
  run('node', ['--input-type=module', '-e', `
    import assert from 'node:assert'
    import { auth, requireScopes } from '@scopeguard/express'
    import * as koa from '@scopeguard/koa'
    import { createAuthenticator } from '@scopeguard/core'
    import { createFakeIssuer } from '@scopeguard/testing'
    assert.strictEqual(typeof auth, 'function'); assert.strictEqual(typeof requireScopes, 'function')
    assert.strictEqual(typeof koa.auth, 'function'); assert.strictEqual(typeof createAuthenticator, 'function')
    const issuer = await createFakeIssuer(); await issuer.token(); await issuer.close()
    console.log('ok: import')`], app)

  // An app can load both builds (its own code ESM, a dependency CommonJS): auth() from one
  // copy and requireScopes() from the other must still work together.
  console.log('\n# mixed copies: ESM auth() with CommonJS requireScopes()')
  run('node', ['--input-type=module', '-e', `
    import assert from 'node:assert'
    import { createRequire } from 'node:module'
    import express from 'express'
    import { auth } from '@scopeguard/express'
    import { createFakeIssuer } from '@scopeguard/testing'
    const { requireScopes } = createRequire(process.cwd() + '/')('@scopeguard/express')
    const issuer = await createFakeIssuer()
    const app = express()
    app.use(auth({ issuer: issuer.url, audience: issuer.audience }))
    app.get('/x', requireScopes('read:x'), (req, res) => { res.json({ sub: req.auth.claims.sub }) })
    const server = app.listen(0, '127.0.0.1')
    await new Promise((resolve) => server.once('listening', resolve))
    try {
      const url = 'http://127.0.0.1:' + server.address().port + '/x'
      const token = await issuer.token({ scope: 'read:x' })
      for (let i = 0; i < 3; i++) assert.strictEqual((await fetch(url, { headers: { authorization: 'Bearer ' + token } })).status, 200)
      assert.strictEqual((await fetch(url, { headers: { authorization: 'Bearer ' + await issuer.token({ scope: 'other' }) } })).status, 403)
    } finally {
      server.closeAllConnections(); server.close(); await issuer.close()
    }
    console.log('ok: mixed copies')`], app)

  // DPoP from the installed packages: a bound token with a proof from the testing kit is
  // accepted once, refused as a bearer token and when replayed (RFC 9449).
  console.log('\n# DPoP-bound tokens')
  run('node', ['--input-type=module', '-e', `
    import assert from 'node:assert'
    import express from 'express'
    import { auth } from '@scopeguard/express'
    import { createRedisReplayStore } from '@scopeguard/redis'
    import { createDpopProof, createFakeIssuer, generateDpopKey } from '@scopeguard/testing'
    assert.strictEqual(typeof createRedisReplayStore, 'function')
    const issuer = await createFakeIssuer()
    const app = express()
    app.use(auth({ issuer: issuer.url, audience: issuer.audience, dpop: { origin: 'https://api.example.com' } }))
    app.get('/me', (req, res) => { res.json(req.auth.binding) })
    const server = app.listen(0, '127.0.0.1')
    await new Promise((resolve) => server.once('listening', resolve))
    try {
      const url = 'http://127.0.0.1:' + server.address().port + '/me'
      const key = await generateDpopKey()
      const token = await issuer.token({ dpop: key })
      const proof = await createDpopProof({ key, method: 'GET', url: 'https://api.example.com/me', accessToken: token })
      const ok = await fetch(url, { headers: { authorization: 'DPoP ' + token, dpop: proof } })
      assert.strictEqual(ok.status, 200)
      assert.deepStrictEqual(await ok.json(), { scheme: 'DPoP', jkt: key.thumbprint })
      assert.strictEqual((await fetch(url, { headers: { authorization: 'DPoP ' + token, dpop: proof } })).status, 401)
      assert.strictEqual((await fetch(url, { headers: { authorization: 'Bearer ' + token } })).status, 401)
    } finally {
      server.closeAllConnections(); server.close(); await issuer.close()
    }
    console.log('ok: DPoP')`], app)

  // Hono's protect() from the installed package, through app.request() (the Fetch API path);
  // node:http's result store shared by both builds: authOf() from the CommonJS copy reads what
  // protect() of the ESM copy stored.
  console.log('\n# Hono protect() and node:http authOf() across builds')
  run('node', ['--input-type=module', '-e', `
    import assert from 'node:assert'
    import { createServer } from 'node:http'
    import { createRequire } from 'node:module'
    import { Hono } from 'hono'
    import { auth as honoAuth, listRoutes } from '@scopeguard/hono'
    import { auth as nodeAuth } from '@scopeguard/node'
    import { createFakeIssuer } from '@scopeguard/testing'
    const { authOf } = createRequire(process.cwd() + '/')('@scopeguard/node')
    const issuer = await createFakeIssuer()
    const token = await issuer.token({ scope: 'read:x', subject: 'alice' })
    const authenticate = honoAuth({ issuer: issuer.url, audience: issuer.audience })
    const app = new Hono()
    app.get('/x', authenticate.protect(['read:x'], (c) => c.json({ sub: c.get('auth').claims.sub })))
    assert.deepStrictEqual(listRoutes(app).map((route) => route.path), ['/x'])
    for (let i = 0; i < 3; i++) assert.deepStrictEqual(await (await app.request('/x', { headers: { authorization: 'Bearer ' + token } })).json(), { sub: 'alice' })
    assert.strictEqual((await app.request('/x')).status, 401)
    const server = createServer(nodeAuth({ issuer: issuer.url, audience: issuer.audience }).protect(['read:x'], (req, res) => res.end(authOf(req).claims.sub)))
    server.listen(0, '127.0.0.1')
    await new Promise((resolve) => server.once('listening', resolve))
    try {
      const url = 'http://127.0.0.1:' + server.address().port + '/'
      for (let i = 0; i < 3; i++) assert.strictEqual(await (await fetch(url, { headers: { authorization: 'Bearer ' + token } })).text(), 'alice')
    } finally {
      server.closeAllConnections(); server.close(); await issuer.close()
    }
    console.log('ok: Hono protect(), node authOf()')`], app)

  // The same protected-route test under node:test and Jest (CommonJS), through the testing kit.
  const kitTest = (framework) => `
const assert = require('node:assert')
const { once } = require('node:events')
const express = require('express')
const { auth, requireScopes } = require('@scopeguard/express')
const { createFakeIssuer, parseChallenge } = require('@scopeguard/testing')
${framework === 'node' ? "const { test } = require('node:test')" : ''}

test('a protected route under ${framework}', async () => {
  const issuer = await createFakeIssuer()
  const app = express()
  app.use(auth({ issuer: issuer.url, audience: issuer.audience }))
  app.get('/appointments', requireScopes('read:appointments'), (req, res) => { res.json({ sub: req.auth.claims.sub }) })
  const server = app.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const url = 'http://127.0.0.1:' + server.address().port + '/appointments'
  try {
    const call = async (token) => fetch(url, { headers: token ? { authorization: 'Bearer ' + token } : {} })
    const ok = await call(await issuer.token({ scope: 'read:appointments', subject: 'alice' }))
    assert.strictEqual(ok.status, 200)
    assert.strictEqual((await ok.json()).sub, 'alice') // not deepStrictEqual: Jest runs tests in another realm
    const forbidden = await call(await issuer.token({ scope: 'other' }))
    assert.strictEqual(forbidden.status, 403)
    assert.strictEqual(parseChallenge(forbidden.headers.get('www-authenticate')).params.scope, 'read:appointments')
    assert.strictEqual((await call(await issuer.bad.expired())).status, 401)
  } finally {
    server.closeAllConnections()
    server.close()
    await issuer.close()
  }
})
`
  writeFileSync(join(app, 'kit.node.test.cjs'), kitTest('node'))
  writeFileSync(join(app, 'kit.jest.test.cjs'), kitTest('jest'))
  console.log('\n# node:test (CommonJS)')
  run('node', ['--test', '--test-timeout=30000', 'kit.node.test.cjs'], app)
  console.log('\n# Jest (CommonJS), failing on open handles')
  run('npx', ['jest', '--ci', '--detectOpenHandles', '--forceExit=false', '--testMatch', '**/kit.jest.test.cjs'], app)

  console.log('\n# the README quick start type-checks (strict, ESM and CommonJS)')
  const quickStart = `
import express from 'express'
import Koa from 'koa'
import Router from '@koa/router'
import { allOf, anyOf, auth, requireAuth, requireScopes } from '@scopeguard/express'
import * as koaScopeguard from '@scopeguard/koa'

const app = express()
app.use(auth({ issuer: 'https://idp.example.com/', audience: 'https://api.example.com/calendar' }))
app.get('/appointments', requireScopes('read:appointments'), (req, res) => {
  const { claims, scopes } = requireAuth(req)
  res.json({ user: claims.sub, scopes: [...scopes] })
})
app.get('/public', (req, res) => {
  // @ts-expect-error req.auth is possibly undefined on a route no guard protects
  res.json({ user: req.auth.claims.sub })
})
app.post('/appointments', requireScopes('read:appointments', 'write:appointments'), (_req, res) => { res.sendStatus(201) })
app.delete('/appointments/:id', requireScopes(anyOf('admin', allOf('read:appointments', 'write:appointments'))), (_req, res) => { res.sendStatus(204) })

const koa = new Koa()
const router = new Router()
koa.use(koaScopeguard.auth({ issuer: 'https://idp.example.com/', audience: 'https://api.example.com/calendar' }))
router.get('/appointments', koaScopeguard.requireScopes('read:appointments'), (ctx) => {
  const { claims, scopes } = koaScopeguard.requireAuth(ctx)
  const sub: string | undefined = claims.sub
  ctx.body = { user: sub, scopes: [...scopes] }
})
koa.use(router.routes())
`
  writeFileSync(join(app, 'quick-start.mts'), quickStart)
  writeFileSync(join(app, 'quick-start.cts'), quickStart)
  run('npx', ['tsc', '--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--esModuleInterop', '--skipLibCheck', 'quick-start.mts', 'quick-start.cts'], app)
  console.log('ok: types')
} finally {
  rmSync(work, { recursive: true, force: true })
}

/** Unpacks a tarball and returns what it lacks of what a published package must have (none: []). */
function checkTarballContents(tarball, work) {
  const dir = mkdtempSync(join(work, 'unpacked-'))
  execFileSync('tar', ['-xzf', tarball, '-C', dir])
  const unpacked = join(dir, 'package')
  const { name } = JSON.parse(readFileSync(join(unpacked, 'package.json'), 'utf8'))
  const source = join(root, 'packages', name.replace(/^@scopeguard\//, ''))
  const problems = []
  const read = (file) => (existsSync(join(unpacked, file)) ? readFileSync(join(unpacked, file), 'utf8') : undefined)

  const license = read('LICENSE')
  if (license === undefined) problems.push('LICENSE is missing')
  else if (license !== readFileSync(join(root, 'LICENSE'), 'utf8')) problems.push('LICENSE differs from the repository root LICENSE')

  const readme = read('README.md')
  if (readme === undefined) problems.push('README.md is missing')
  else for (const target of nonAbsoluteLinks(readme)) problems.push(`README.md links to "${target}", which is dead on npm: use an absolute https:// URL`)

  // Code the build copies into dist/ ships with its licence (MIT and most others require it).
  const notices = read('THIRD_PARTY_NOTICES.md')
  for (const dependency of inlinedDependencies(source)) {
    const licenseFile = readdirSync(join(source, 'node_modules', dependency)).find((file) => /^licen[cs]e/i.test(file))
    if (licenseFile === undefined) problems.push(`the build inlines ${dependency}, which has no licence file to copy`)
    else if (notices === undefined) problems.push(`the build inlines ${dependency} but THIRD_PARTY_NOTICES.md is missing`)
    else if (!normalise(notices).includes(normalise(readFileSync(join(source, 'node_modules', dependency, licenseFile), 'utf8')))) {
      problems.push(`THIRD_PARTY_NOTICES.md lacks the licence of ${dependency} (copy node_modules/${dependency}/${licenseFile})`)
    }
  }

  if (problems.length === 0) console.log(`ok: ${name}`)
  return problems.map((problem) => `${name}: ${problem}`)
}

/** The dependencies a package's tsup config bundles into its output (`noExternal`). */
function inlinedDependencies(packageDir) {
  const config = readFileSync(join(packageDir, 'tsup.config.ts'), 'utf8')
  return [...config.matchAll(/noExternal:\s*\[([^\]]*)\]/g)].flatMap((match) => [...match[1].matchAll(/['"]([^'"]+)['"]/g)].map((name) => name[1]))
}

/** Line endings and trailing spaces aside, so that a licence copied into Markdown still matches. */
function normalise(text) {
  return text.replace(/\r\n?/g, '\n').split('\n').map((line) => line.trimEnd()).join('\n').trim()
}

/**
 * The targets of the Markdown's links and images (inline, reference definitions and HTML
 * `href` / `src`) that are neither absolute http(s) URLs nor in-page #anchors. Code blocks
 * and code spans are skipped: `[...a](b)` there is code, not a link.
 */
function nonAbsoluteLinks(markdown) {
  let fence // the opening fence of the code block we are in, if any
  const prose = markdown.split(/\r?\n/).filter((line) => {
    const marker = /^ {0,3}(`{3,}|~{3,})/.exec(line)?.[1]
    if (fence === undefined && marker !== undefined) fence = marker
    else if (fence !== undefined && marker?.[0] === fence[0] && marker.length >= fence.length && line.trim() === marker) fence = undefined
    else return fence === undefined
    return false
  }).join('\n').replace(/(`+)[\s\S]*?\1/g, '')
  const unbracket = (target) => target.replace(/^<(.*)>$/, '$1')
  const targets = [
    ...[...prose.matchAll(/!?\[(?:[^[\]]|\[[^\]]*\])*\]\(\s*(<[^>]*>|[^)\s]*)/g)].map((match) => unbracket(match[1])),
    ...[...prose.matchAll(/^ {0,3}\[[^\]]+\]:\s*(<[^>]*>|\S+)/gm)].map((match) => unbracket(match[1])),
    ...[...prose.matchAll(/\b(?:href|src)\s*=\s*["']([^"']*)["']/gi)].map((match) => match[1]),
  ]
  return targets.filter((target) => !/^https?:\/\/[^/\s]/i.test(target) && !/^#./.test(target))
}
