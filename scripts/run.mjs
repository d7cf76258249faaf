#!/usr/bin/env node
// The README's two commands: `npm test` and `npm run demo`. They need only Node and npm:
// pnpm 10 is used from PATH, or fetched once by npx; dependencies are installed from the
// committed lockfile when missing or stale. No prompts, so it runs unattended in CI.
// The demo installs only what it runs (the calendar example and the workspace packages it
// uses), not the whole workspace's test, lint, build and benchmark tools.
import { execFileSync, spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
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

// What the last install by this script covered ('all' or 'demo') and from which lockfile, kept
// in node_modules so that deleting it forgets it. A demo-only install never counts as 'all':
// `npm test` after `npm run demo` installs the rest.
const DEMO_PACKAGE = '@scopeguard/example-calendar-express'
const modules = join(root, 'node_modules', '.modules.yaml')
const marker = join(root, 'node_modules', '.scopeguard-install.json')
const lockfileHash = createHash('sha256').update(readFileSync(join(root, 'pnpm-lock.yaml'))).digest('hex')

function lastInstall() {
  try {
    return JSON.parse(readFileSync(marker, 'utf8'))
  } catch {
    return undefined // no marker: never installed, or installed by hand
  }
}

function install(scope) {
  // No prompt when pnpm must rebuild node_modules made with other settings: as in CI, it does.
  const args = ['install', '--frozen-lockfile', '--config.confirm-modules-purge=false']
  if (scope === 'demo') {
    console.log(`Installing the demo's dependencies (${DEMO_PACKAGE} and the workspace packages it uses; \`npm test\` installs the rest)…`)
    // `...`: the example and its workspace dependencies (core, express, testing) with theirs;
    // `--prod`: without devDependencies (type definitions, vitest, lint), which pnpm would
    // otherwise add from the workspace root even to a filtered install.
    pnpm([...args, '--prod', '--filter', `${DEMO_PACKAGE}...`])
  } else {
    console.log('Installing the dependencies of the whole workspace…')
    pnpm(args)
  }
  writeFileSync(marker, JSON.stringify({ scope, lockfile: lockfileHash }) + '\n')
}

const last = lastInstall()
const upToDate = last?.lockfile === lockfileHash && existsSync(modules)
if (target === 'check') {
  if (!upToDate || last.scope !== 'all') install('all')
} else if (!upToDate) {
  // A full install (by `npm test` or by hand) is brought up to date, not cut down to the demo's.
  install(last?.scope === 'all' || (last === undefined && existsSync(modules)) ? 'all' : 'demo')
}
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
