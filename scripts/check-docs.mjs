// Type-checks the code in the documentation: every ```ts / ```js block of README.md and
// docs/**/*.md is written to a file of its own and compiled with the repository's TypeScript
// (strict, module NodeNext, the settings of tsconfig.base.json), `@scopeguard/*` resolving to
// the packages' sources through the "@scopeguard/source" condition. A failure names the
// Markdown file and line it came from.
//
//   node scripts/check-docs.mjs        (pnpm check:docs)
//
// Fences:
// - ts, typescript, mts, cts: TypeScript (ESM, or CommonJS for cts).
// - js, javascript, mjs, cjs: JavaScript, checked with checkJs; a js block that uses
//   require() and has no import/export is CommonJS.
// - Any other language (sh, http, text, json, diff...) is not checked. A fence without a
//   language is an error: say what it is.
// - `// @ts-expect-error` marks a line that must not compile (e.g. a typo the types catch).
// - A block directly preceded by the line `<!-- check-docs: peers -->` is compiled against the
//   peer middleware installed for the benchmarks (express-oauth2-jwt-bearer, express-jwt,
//   koa-jwt, jwks-rsa in bench/node_modules), for "before" code in the migration guide. Peer
//   packages declare their own `req.auth`, so each such block is compiled on its own.
//
// The blocks go to node_modules/.cache/doc-blocks/ of the `test` workspace package (and of
// `bench` for peer blocks): from there Node's resolution finds express, koa, @koa/router,
// supertest, their @types and the @scopeguard packages. node_modules is git-ignored.

import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const PEERS_MARKER = '<!-- check-docs: peers -->'

const environments = {
  workspace: { packageDir: join(root, 'test'), blocks: [] },
  peers: { packageDir: join(root, 'bench'), blocks: [] },
}

/** README.md and every Markdown file under docs/, in a stable order. */
function markdownFiles() {
  const files = [join(root, 'README.md')]
  const walk = (dir) => {
    if (!existsSync(dir)) return
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(dir, entry.name)
      if (entry.isDirectory()) walk(path)
      else if (entry.name.endsWith('.md')) files.push(path)
    }
  }
  walk(join(root, 'docs'))
  return files
}

const EXTENSIONS = { ts: 'ts', typescript: 'ts', mts: 'mts', cts: 'cts', mjs: 'mjs', cjs: 'cjs', js: 'js', javascript: 'js' }

/** The file extension a block is compiled as, or undefined for a block that is not checked. */
function extensionOf(language, code) {
  const extension = EXTENSIONS[language.toLowerCase()]
  if (extension !== 'js') return extension
  const commonJs = /\brequire\s*\(/.test(code) && !/^\s*(import|export)\s/m.test(code)
  return commonJs ? 'cjs' : 'mjs'
}

const problems = []
let blockCount = 0
let markdownCount = 0

for (const file of markdownFiles()) {
  markdownCount++
  const name = relative(root, file)
  const lines = readFileSync(file, 'utf8').split(/\r?\n/)
  for (let index = 0; index < lines.length; index++) {
    const open = /^( {0,3})(`{3,}|~{3,})\s*([^\s`]*)/.exec(lines[index])
    if (open === null) continue
    const [, indent, fence, language] = open
    const fenceLine = index + 1
    const body = []
    index++
    while (index < lines.length) {
      const close = /^ {0,3}(`{3,}|~{3,})\s*$/.exec(lines[index])
      if (close !== null && close[1][0] === fence[0] && close[1].length >= fence.length) break
      body.push(lines[index].startsWith(indent) ? lines[index].slice(indent.length) : lines[index].trimStart())
      index++
    }
    if (language === '') {
      problems.push(`${name}:${fenceLine}: code fence without a language; use ts or js (type-checked) or sh, http, text... (not checked)`)
      continue
    }
    const code = body.join('\n')
    const extension = extensionOf(language, code)
    if (extension === undefined) continue
    blockCount++
    const environment = lines[fenceLine - 2]?.trim() === PEERS_MARKER ? environments.peers : environments.workspace
    const fileName = `${name.replace(/[^A-Za-z0-9]+/g, '-')}-L${fenceLine}.${extension}`
    environment.blocks.push({ markdown: name, fenceLine, indent: indent.length, fileName, code: `${code}\n` })
  }
}

/** Writes one environment's blocks and type-checks them; returns the messages. */
function check(environment) {
  const { packageDir, blocks } = environment
  if (blocks.length === 0) return []
  if (!existsSync(join(packageDir, 'node_modules'))) {
    return [`${relative(root, packageDir)}/node_modules is missing; run pnpm install first`]
  }
  const dir = join(packageDir, 'node_modules', '.cache', 'doc-blocks')
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  // ESM unless a file says otherwise (.cjs, .cts), as in the packages users write.
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ private: true, type: 'module' }, null, 2)}\n`)
  writeFileSync(join(dir, 'tsconfig.json'), `${JSON.stringify({
    extends: relative(dir, join(root, 'tsconfig.base.json')),
    compilerOptions: {
      noEmit: true,
      declaration: false,
      sourceMap: false,
      allowJs: true,
      checkJs: true,
      // Each block is a module of its own, even one without import or export.
      moduleDetection: 'force',
    },
    files: blocks.map((block) => block.fileName),
  }, null, 2)}\n`)
  const byPath = new Map()
  for (const block of blocks) {
    const path = join(dir, block.fileName)
    writeFileSync(path, block.code)
    byPath.set(path, block)
  }

  const messages = []
  const parsed = ts.getParsedCommandLineOfConfigFile(join(dir, 'tsconfig.json'), {}, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (diagnostic) => messages.push(ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')),
  })
  if (parsed === undefined) return messages
  // One program for the workspace blocks; one per block for the peers, whose packages declare
  // conflicting globals (each its own `req.auth`), as no app using one of them would see.
  const groups = environment === environments.peers ? parsed.fileNames.map((name) => [name]) : [parsed.fileNames]
  const diagnostics = [...parsed.errors]
  let oldProgram
  for (const rootNames of groups) {
    oldProgram = ts.createProgram({ rootNames, options: parsed.options, oldProgram })
    diagnostics.push(...ts.getPreEmitDiagnostics(oldProgram))
  }
  for (const diagnostic of diagnostics) {
    const text = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n  ')
    if (diagnostic.file === undefined || diagnostic.start === undefined) {
      messages.push(`error TS${diagnostic.code}: ${text}`)
      continue
    }
    const { line, character } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start)
    const block = byPath.get(diagnostic.file.fileName)
    if (block === undefined) {
      // Not a block: a package source or a declaration file the blocks pulled in.
      messages.push(`${relative(root, diagnostic.file.fileName)}:${line + 1}:${character + 1}: error TS${diagnostic.code}: ${text}`)
      continue
    }
    const source = block.code.split('\n')[line] ?? ''
    messages.push(
      `${block.markdown}:${block.fenceLine + line + 1}:${character + 1 + block.indent}: error TS${diagnostic.code}: ${text}\n` +
        `  in the code block opened on line ${block.fenceLine} (compiled as ${relative(root, join(dir, block.fileName))})\n` +
        `  > ${source.trim()}`,
    )
  }
  return messages
}

problems.push(...check(environments.workspace), ...check(environments.peers))

if (problems.length > 0) {
  console.error(problems.join('\n\n'))
  console.error(`\ncheck-docs: ${problems.length} problem${problems.length === 1 ? '' : 's'} in the code blocks of README.md and docs/`)
  process.exit(1)
}
console.log(
  `check-docs: ${blockCount} code blocks from ${markdownCount} Markdown files type-check ` +
    `(${environments.workspace.blocks.length} against the workspace packages, ${environments.peers.blocks.length} against the peer packages)`,
)
