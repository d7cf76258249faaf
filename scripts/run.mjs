#!/usr/bin/env node
// The README's two commands: `npm test` and `npm run demo`. They need only Node and npm:
// pnpm 10 is used from PATH, or fetched once by npx; dependencies are installed from the
// committed lockfile when missing or stale. No prompts, so it runs unattended in CI.
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'

const root = resolve(import.meta.dirname, '..')
const targets = { check: true, demo: true }
const target = process.argv[2]
if (!(target in targets)) {
  console.error('usage: node scripts/run.mjs <check|demo>')
  process.exit(2)
}

function pnpmCommand() {
  try {
    const version = execFileSync('pnpm', ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
    if (version.startsWith('10.')) return ['pnpm', []]
  } catch {
    // not on PATH: fall back to npx below
  }
  return ['npx', ['--yes', 'pnpm@10']]
}

const [command, prefix] = pnpmCommand()
const pnpm = (args) => {
  const result = spawnSync(command, [...prefix, ...args], { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' })
  if (result.status !== 0) process.exit(result.status ?? 1)
}

const marker = join(root, 'node_modules', '.modules.yaml')
const stale = !existsSync(marker) || statSync(join(root, 'pnpm-lock.yaml')).mtimeMs > statSync(marker).mtimeMs
if (stale) pnpm(['install', '--frozen-lockfile'])
if (target === 'check') pnpm(['run', 'check'])
else runDemo()

// The demo runs under tsx directly rather than through `pnpm run`, which reports Ctrl-C as a
// failed command; the demo itself closes its servers on SIGINT and exits 0.
function runDemo() {
  const example = join(root, 'examples', 'calendar-express')
  process.on('SIGINT', () => {}) // the child handles it; wait for it to finish
  process.on('SIGTERM', () => {})
  const tsx = join(example, 'node_modules', '.bin', process.platform === 'win32' ? 'tsx.cmd' : 'tsx')
  const result = spawnSync(tsx, ['--conditions=@scopeguard/source', 'src/demo.ts'], { cwd: example, stdio: 'inherit', shell: process.platform === 'win32' })
  process.exit(result.status ?? 0)
}
