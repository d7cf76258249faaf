// Checks the published shape of every package, as a consumer would meet it:
// 1. publint and are-the-types-wrong on each package;
// 2. the packed tarballs installed with npm into a fresh project, then `require`d (CommonJS),
//    `import`ed (ESM), and the README's quick start type-checked for ESM and CommonJS.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readdirSync, rmSync, writeFileSync, mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

const root = resolve(import.meta.dirname, '..')
const packages = ['core', 'express', 'koa', 'testing']
const run = (command, args, cwd) => execFileSync(command, args, { cwd, stdio: 'inherit', env: { ...process.env, NODE_NO_WARNINGS: '1' } })

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
  const files = readdirSync(tarballs).map((file) => `file:./tarballs/${file}`)
  const app = join(work, 'app')
  mkdirSync(app)
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'consumer', private: true, version: '1.0.0' }))
  // The tarballs satisfy each other's "@scopeguard/core": "^0.1.0", so nothing comes from the registry but the peers.
  run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...files.map((f) => f.replace('./', '../')),
    'express@5', 'koa@3', '@koa/router@15', '@types/express@5', '@types/koa@3', '@types/koa__router', '@types/node@20', 'typescript@5.9'], app)

  console.log('\n# require() from CommonJS')
  run('node', ['-e', `
    const assert = require('node:assert')
    for (const name of ['core', 'express', 'koa', 'testing']) assert.ok(Object.keys(require('@scopeguard/' + name)).length > 0, name)
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

  console.log('\n# the README quick start type-checks (strict, ESM and CommonJS)')
  const quickStart = `
import express from 'express'
import Koa from 'koa'
import Router from '@koa/router'
import { auth, requireScopes, anyOf, allOf } from '@scopeguard/express'
import * as koaScopeguard from '@scopeguard/koa'

const app = express()
app.use(auth({ issuer: 'https://idp.example.com/', audience: 'https://api.example.com/calendar' }))
app.get('/appointments', requireScopes('read:appointments'), (req, res) => {
  res.json({ user: req.auth.claims.sub, scopes: [...req.auth.scopes] })
})
app.post('/appointments', requireScopes('read:appointments', 'write:appointments'), (_req, res) => { res.sendStatus(201) })
app.delete('/appointments/:id', requireScopes(anyOf('admin', allOf('read:appointments', 'write:appointments'))), (_req, res) => { res.sendStatus(204) })

const koa = new Koa()
const router = new Router()
koa.use(koaScopeguard.auth({ issuer: 'https://idp.example.com/', audience: 'https://api.example.com/calendar' }))
router.get('/appointments', koaScopeguard.requireScopes('read:appointments'), (ctx) => {
  const sub: string | undefined = ctx.state.auth.claims.sub
  ctx.body = { user: sub, scopes: [...ctx.state.auth.scopes] }
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
