import { execFileSync } from 'node:child_process'
import { startChild } from './child.js'
import { planCpus } from './cpu.js'
import { runLoad } from './load.js'
const child = await startChild('./servers/koa-bare.ts', { cpus: { ...planCpus(), pinned: false }, nodeArgs: ['--single-threaded', '--trace-opt', '--trace-deopt'], env: {}, launcher: ['valgrind', '-q', '--tool=callgrind', '--instr-atstart=no', '--callgrind-out-file=/tmp/cg.out'], readyTimeout: 300000 })
const url = `http://127.0.0.1:${child.port}/protected`
for (let i = 0; i < 6; i++) { console.log(`=== MARK ${i}`); await runLoad({ url, connections: 10, amount: 5000 }) }
execFileSync('callgrind_control', ['--instr=on', String(child.process.pid)])
for (let i = 6; i < 10; i++) { console.log(`=== MARK ${i}`); await runLoad({ url, connections: 10, amount: 1000 }) }
await child.stop()
