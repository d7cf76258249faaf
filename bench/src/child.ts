import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { pinProcess, type CpuPlan } from './cpu.js'
import type { Reply, Request } from './protocol.js'

/** A Node child process running one of the bench's TypeScript modules, spoken to over IPC. */
export interface NodeChild {
  readonly process: ChildProcess
  /** The port it listens on, for servers. */
  readonly port: number | undefined
  /** Sends a request and resolves with the child's reply. */
  request<T extends Reply['type']>(request: DistributiveOmit<Request, 'id'> & { type: T }): Promise<Extract<Reply, { type: T }>>
  /** Asks the child to exit and waits until it has (a `--cpu-prof` profile is written by then). */
  stop(): Promise<void>
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never

/** Options of {@link startChild}. */
export interface ChildOptions {
  /** Where processes go; the child is pinned to `plan.serverCpu` once ready, when pinning is on. */
  readonly cpus: CpuPlan
  /** Extra environment variables. */
  readonly env?: Readonly<Record<string, string>>
  /** Extra Node flags, e.g. `--cpu-prof` or `--expose-gc`. */
  readonly nodeArgs?: readonly string[]
  /**
   * A command the child runs under, e.g. `['valgrind', '--tool=callgrind']`: it is given
   * `node` and its arguments. The child's pid is then the launcher's (valgrind runs its
   * guest in its own process).
   */
  readonly launcher?: readonly string[]
  /** Milliseconds to wait for the child's `ready` message. Default 30000. */
  readonly readyTimeout?: number
}

// The children load their TypeScript through tsx's loader, resolved here rather than by
// name so the child's working directory does not matter.
const TSX_LOADER = import.meta.resolve('tsx')

/**
 * Starts `module` (a path relative to `src/`) as `node --import tsx <module>`, resolves once
 * it reports `ready`, pinned with `taskset` by then when the plan says so. Without the
 * `@scopeguard/source` condition, so `@scopeguard/*` imports load the built `dist/`.
 *
 * Each child runs in a session of its own (`detached`): with the kernel's autogroup
 * scheduling that is a scheduling group of its own, so two children sharing a CPU get equal
 * time whatever their thread counts (see `runConcurrentPair`). The child still exits with
 * the parent: it watches the IPC channel (`answerParent`).
 */
export async function startChild(module: string, options: ChildOptions): Promise<NodeChild> {
  const entry = fileURLToPath(new URL(module, import.meta.url))
  const nodeCommand = [process.execPath, '--import', TSX_LOADER, ...(options.nodeArgs ?? []), entry]
  const [command, ...args] = [...(options.launcher ?? []), ...nodeCommand] as [string, ...string[]]
  const child = spawn(command, args, {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    detached: true,
    env: { ...process.env, NODE_ENV: 'production', ...options.env },
  })
  const pending = new Map<number, { resolve: (reply: Reply) => void; reject: (error: Error) => void }>()
  let nextId = 1
  let exited = false
  const exit = new Promise<void>((resolve) => child.once('exit', () => resolve()))

  child.on('message', (reply: Reply) => {
    if (!('id' in reply)) return
    const waiter = pending.get(reply.id)
    pending.delete(reply.id)
    if (reply.type === 'error') waiter?.reject(new Error(`${module}: ${reply.message}`))
    else waiter?.resolve(reply)
  })
  child.once('exit', (code, signal) => {
    exited = true
    for (const waiter of pending.values()) waiter.reject(new Error(`${module} exited (${signal ?? code})`))
    pending.clear()
  })

  const ready = await new Promise<Extract<Reply, { type: 'ready' }>>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill()
      reject(new Error(`${module} did not start within ${options.readyTimeout ?? 30_000} ms`))
    }, options.readyTimeout ?? 30_000)
    child.on('message', (reply: Reply) => {
      if (reply.type !== 'ready') return
      clearTimeout(timer)
      resolve(reply)
    })
    child.once('exit', (code, signal) => {
      clearTimeout(timer)
      reject(new Error(`${module} exited before it was ready (${signal ?? code})`))
    })
  })

  if (options.cpus.pinned && child.pid !== undefined) {
    try {
      pinProcess(child.pid, options.cpus.serverCpu)
    } catch (error) {
      child.kill()
      throw error
    }
  }

  return {
    process: child,
    port: ready.port,
    request(request) {
      if (exited) return Promise.reject(new Error(`${module} has exited`))
      const id = nextId++
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve: resolve as (reply: Reply) => void, reject })
        child.send({ ...request, id })
      })
    },
    async stop() {
      if (!exited) child.send({ type: 'exit' })
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
      await exit
      clearTimeout(timer)
    },
  }
}
