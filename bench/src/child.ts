// Starting, pinning and stopping the server processes.
import { spawn, spawnSync } from 'node:child_process'
import { availableParallelism } from 'node:os'
import { fileURLToPath } from 'node:url'
import { ROUTE, SETTINGS_ENV, type ServerSettings } from './servers/serve.js'

export interface RunningServer {
  readonly url: string
  readonly pid: number
  /** The server's process.memoryUsage(), after a full GC with `gc` (needs --expose-gc). */
  memory(gc: boolean): Promise<NodeJS.MemoryUsage>
  /** Asks it to exit and waits until it has (SIGKILL after 10 s). */
  stop(): Promise<void>
}

export interface ServerOptions {
  readonly nodeArgs?: readonly string[]
  /** A command the server runs under, e.g. valgrind: the pid is then the launcher's. */
  readonly launcher?: readonly string[]
  readonly readyTimeout?: number
  /** Pin every thread of the server to CPU 0 once it listens (see {@link canPin}). */
  readonly pin?: boolean
}

const TSX_LOADER = import.meta.resolve('tsx')

/** Whether servers and the load generator can each have a CPU of their own (taskset and two CPUs). */
export function canPin(): boolean {
  return availableParallelism() >= 2 && spawnSync('taskset', ['-V']).status === 0
}

/** Pins every thread of `pid` (libuv's pool and V8's too; later ones inherit) to `cpu`. */
export function pin(pid: number, cpu: number): void {
  const result = spawnSync('taskset', ['-a', '-p', '-c', String(cpu), String(pid)], { encoding: 'utf8' })
  if (result.status !== 0) throw new Error(`taskset could not pin ${pid} to CPU ${cpu}: ${result.stderr}`)
}

/**
 * Starts `servers/<id>.ts` under tsx, in production mode and without the
 * `@scopeguard/source` condition (so `@scopeguard/*` load their built `dist/`), and resolves
 * once it listens.
 */
export async function startServer(id: string, settings: ServerSettings, options: ServerOptions = {}): Promise<RunningServer> {
  const entry = fileURLToPath(new URL(`./servers/${id}.ts`, import.meta.url))
  const argv = [...(options.launcher ?? []), process.execPath, '--import', TSX_LOADER, ...(options.nodeArgs ?? []), entry]
  const child = spawn(argv[0] as string, argv.slice(1), {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, NODE_ENV: 'production', [SETTINGS_ENV]: JSON.stringify(settings) },
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const timeout = options.readyTimeout ?? 30_000
  try {
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${id} did not start within ${timeout} ms`)), timeout)
      child.once('message', (message: { port: number }) => (clearTimeout(timer), resolve(message.port)))
      child.once('exit', (code) => (clearTimeout(timer), reject(new Error(`${id} exited before it listened (${code})`))))
    })
    if (options.pin === true) pin(child.pid as number, 0)
    return {
      url: `http://127.0.0.1:${port}${ROUTE}`,
      pid: child.pid as number,
      memory: (gc) =>
        new Promise((resolve) => {
          child.once('message', (message: { memory: NodeJS.MemoryUsage }) => resolve(message.memory))
          child.send(gc ? 'gc-memory' : 'memory')
        }),
      stop: () => stop(child, exited),
    }
  } catch (error) {
    child.kill('SIGKILL')
    await exited
    throw error
  }
}

async function stop(child: ReturnType<typeof spawn>, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  if (child.connected) child.send('exit')
  else child.kill()
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
  await exited
  clearTimeout(timer)
}

/** Starts `ids` one after the other; if one fails, stops those started and rethrows. */
export async function startServers(ids: readonly string[], settings: ServerSettings, options: ServerOptions = {}): Promise<RunningServer[]> {
  const servers: RunningServer[] = []
  try {
    for (const id of ids) servers.push(await startServer(id, settings, options))
    return servers
  } catch (error) {
    await Promise.all(servers.map((server) => server.stop()))
    throw error
  }
}
