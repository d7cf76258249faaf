import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

// Runs `pnpm run demo` exactly as a user would, in its self-check mode, on a free port.
const exampleDir = fileURLToPath(new URL('..', import.meta.url))

describe('pnpm run demo', () => {
  it('passes its self-check and prints curl commands', async () => {
    const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve) => {
      const child = execFile(
        'pnpm',
        ['run', 'demo'],
        {
          cwd: exampleDir,
          env: { ...process.env, PORT: '0', DEMO_EXIT_AFTER_CHECK: '1' },
          timeout: 60_000,
          // pnpm is a .cmd shim on Windows, which only a shell can start.
          shell: process.platform === 'win32',
        },
        (_error, stdout, stderr) => resolve({ code: child.exitCode, output: `${stdout}${stderr}` }),
      )
    })
    expect(code, output).toBe(0)
    expect(output).toContain('All statuses as expected.')
    expect(output).toContain('curl -i')
  }, 70_000)
})
