import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { createConnection, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** Debian's binary; the tests fail, rather than skip, without it. */
const REDIS_SERVER = '/usr/bin/redis-server'
/** How long a start (or restart) may take before the test fails. */
const START_TIMEOUT = 10_000
/** How long `stop()` waits after SIGTERM before SIGKILL. */
const STOP_TIMEOUT = 5_000

/** A redis-server child process on 127.0.0.1, see {@link startRedisServer}. */
export interface RedisServer {
  /** `redis://127.0.0.1:<port>`, for `createClient({ url })`. */
  readonly url: string
  readonly port: number
  /** Shuts the server down (SIGTERM, then SIGKILL) and removes its directory. Idempotent. */
  stop(): Promise<void>
  /** Kills the server with SIGKILL, as a crash or an outage would; `restart()` brings it back. */
  kill(): Promise<void>
  /** Starts the server again on the same port, empty (nothing is persisted); kills it first if it runs. */
  restart(): Promise<void>
  /** Freezes the server (SIGSTOP): connections stay open and nothing answers, like a hung Redis. */
  pause(): Promise<void>
  /** Lets a paused server go on (SIGCONT). */
  resume(): Promise<void>
}

// Every child ever started, so that none outlives the test process, even when a test fails
// before its afterAll or the worker is torn down.
const running = new Set<ChildProcess>()
let exitHookInstalled = false
function track(child: ChildProcess): void {
  running.add(child)
  child.once('exit', () => running.delete(child))
  if (!exitHookInstalled) {
    exitHookInstalled = true
    process.once('exit', () => {
      for (const leftover of running) leftover.kill('SIGKILL')
    })
  }
}

/**
 * Starts a real redis-server (`/usr/bin/redis-server`) on 127.0.0.1 with a random free port,
 * without persistence (`--save '' --appendonly no`), and resolves once it answers `PING`
 * (within 10 s, else it rejects). Call `stop()` in `afterAll`.
 *
 * ```ts
 * let redis: RedisServer
 * beforeAll(async () => { redis = await startRedisServer() })
 * afterAll(() => redis.stop())
 * ```
 */
export async function startRedisServer(): Promise<RedisServer> {
  if (!existsSync(REDIS_SERVER)) {
    throw new Error(`${REDIS_SERVER} not found: the Redis tests need a real redis-server. Install Debian's redis-server (apt-get install redis-server); .ci/run does.`)
  }
  const dir = await mkdtemp(join(tmpdir(), 'scopeguard-redis-'))
  let port = 0
  let child: ChildProcess | undefined
  // A free port can be taken between finding it and redis-server binding it: try a few.
  for (let attempt = 1; child === undefined; attempt++) {
    port = await freePort()
    try {
      child = await launch(port, dir)
    } catch (err) {
      if (attempt >= 3 || !String(err).includes('in use')) {
        await rm(dir, { recursive: true, force: true })
        throw err
      }
    }
  }

  let stopped = false
  const server: RedisServer = {
    url: `redis://127.0.0.1:${port}`,
    port,
    async stop() {
      stopped = true
      if (child !== undefined) await terminate(child, 'SIGTERM')
      child = undefined
      await rm(dir, { recursive: true, force: true })
    },
    async kill() {
      if (child !== undefined) await terminate(child, 'SIGKILL')
      child = undefined
    },
    async restart() {
      if (stopped) throw new Error('restart() after stop(): start a new server with startRedisServer()')
      if (child !== undefined) await terminate(child, 'SIGKILL')
      child = undefined
      child = await launch(port, dir)
    },
    async pause() {
      child?.kill('SIGSTOP')
    },
    async resume() {
      child?.kill('SIGCONT')
    },
  }
  return server
}

/** Spawns redis-server on `port` and waits until it answers PING. */
async function launch(port: number, dir: string): Promise<ChildProcess> {
  const child = spawn(REDIS_SERVER, [
    '--port', String(port),
    '--bind', '127.0.0.1',
    '--save', '',
    '--appendonly', 'no',
    '--dir', dir,
    '--loglevel', 'warning',
  ], { stdio: ['ignore', 'pipe', 'pipe'] })
  track(child)
  // The last output, for the error message when the server does not come up.
  let output = ''
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-2000)
  }
  child.stdout?.on('data', keep)
  child.stderr?.on('data', keep)
  let exited: string | undefined
  child.once('exit', (code, signal) => {
    exited = `exited with ${signal ?? `code ${code}`}`
  })
  child.once('error', (err) => {
    exited = `could not be started: ${err.message}`
  })

  const deadline = Date.now() + START_TIMEOUT
  while (Date.now() < deadline) {
    if (exited !== undefined) throw new Error(`redis-server on port ${port} ${exited}: ${output.trim() || 'no output'}`)
    if (await answersPing(port)) return child
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  await terminate(child, 'SIGKILL')
  throw new Error(`redis-server on port ${port} did not answer PING within ${START_TIMEOUT} ms: ${output.trim() || 'no output'}`)
}

/** True when a Redis on 127.0.0.1:`port` answers PING with +PONG within half a second. */
function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port })
    let reply = ''
    const done = (ok: boolean) => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(500, () => done(false))
    socket.once('error', () => done(false))
    socket.once('connect', () => socket.write('PING\r\n'))
    socket.on('data', (chunk) => {
      reply += chunk.toString('latin1')
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'))
    })
  })
}

/** Sends `signal` and waits for the exit; escalates to SIGKILL after {@link STOP_TIMEOUT}. */
async function terminate(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  // A paused (SIGSTOPped) process acts on SIGTERM only once it runs again.
  child.kill('SIGCONT')
  child.kill(signal)
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), STOP_TIMEOUT)
  })
  if ((await Promise.race([exited, late])) === 'late') {
    child.kill('SIGKILL')
    await exited
  }
  clearTimeout(timer)
}

/** A TCP port free on 127.0.0.1 right now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      probe.close(() => resolve(port))
    })
  })
}
