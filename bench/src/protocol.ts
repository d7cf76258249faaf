/** Messages between the bench (parent) and its child processes, over the Node IPC channel. */
import { writeFile } from 'node:fs/promises'
import { Session } from 'node:inspector/promises'

/** Parent → child: a request the child answers with a {@link Reply} of the same `id`. */
export type Request =
  | { readonly id: number; readonly type: 'memory' }
  | { readonly id: number; readonly type: 'gc' }
  | { readonly id: number; readonly type: 'micro'; readonly input: unknown }
  /** Starts the V8 sampling profiler (every `interval` microseconds). */
  | { readonly id: number; readonly type: 'profile-start'; readonly interval: number }
  /** Stops it and writes the `.cpuprofile` JSON to `path`. */
  | { readonly id: number; readonly type: 'profile-stop'; readonly path: string }

/** Child → parent. */
export type Reply =
  | { readonly type: 'ready'; readonly port?: number }
  | { readonly id: number; readonly type: 'memory'; readonly usage: NodeJS.MemoryUsage }
  | { readonly id: number; readonly type: 'gc'; readonly collected: boolean }
  | { readonly id: number; readonly type: 'micro'; readonly output: unknown }
  | { readonly id: number; readonly type: 'profile-start' }
  | { readonly id: number; readonly type: 'profile-stop'; readonly path: string }
  | { readonly id: number; readonly type: 'error'; readonly message: string }

/** Parent → child: exit now (with `--cpu-prof`, this is what makes Node write the profile). */
export interface ExitRequest {
  readonly type: 'exit'
}

/** Sends a message to the parent; a child started without IPC is a programming error. */
export function sendToParent(message: Reply): void {
  if (process.send === undefined) throw new Error('this module runs as a child process of the bench (no IPC channel)')
  process.send(message)
}

/**
 * Answers the requests every child understands (memory, gc, exit) and hands the rest to
 * `handle`. A child whose parent dies exits too, so an interrupted run leaves no servers.
 */
export function answerParent(handle?: (request: Request) => Promise<unknown>): void {
  process.on('disconnect', () => process.exit(0))
  process.on('message', (message: Request | ExitRequest) => {
    if (message.type === 'exit') {
      process.exit(0)
    }
    void answer(message, handle)
  })
}

async function answer(request: Request, handle?: (request: Request) => Promise<unknown>): Promise<void> {
  try {
    if (request.type === 'memory') {
      sendToParent({ id: request.id, type: 'memory', usage: process.memoryUsage() })
    } else if (request.type === 'gc') {
      const gc = (globalThis as { gc?: () => void }).gc
      gc?.()
      sendToParent({ id: request.id, type: 'gc', collected: gc !== undefined })
    } else if (request.type === 'profile-start') {
      await profiler().post('Profiler.enable')
      await profiler().post('Profiler.setSamplingInterval', { interval: request.interval })
      await profiler().post('Profiler.start')
      sendToParent({ id: request.id, type: 'profile-start' })
    } else if (request.type === 'profile-stop') {
      const { profile } = await profiler().post('Profiler.stop')
      await writeFile(request.path, JSON.stringify(profile))
      sendToParent({ id: request.id, type: 'profile-stop', path: request.path })
    } else if (handle !== undefined) {
      sendToParent({ id: request.id, type: request.type, output: await handle(request) } as Reply)
    } else {
      throw new Error(`unexpected request ${request.type}`)
    }
  } catch (error) {
    sendToParent({ id: request.id, type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) })
  }
}

let session: Session | undefined

/**
 * The in-process inspector session of the profiler. Started on request rather than with
 * `--cpu-prof`, so a profile covers the measured load only, not start-up and warm-up.
 */
function profiler(): Session {
  if (session === undefined) {
    session = new Session()
    session.connect()
  }
  return session
}
