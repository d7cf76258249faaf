// Plain node:http with no authentication: the ceiling node-scopeguard is compared with.
import type { RequestListener } from 'node:http'
import { serve } from './serve.js'

const hello: RequestListener = (_req, res) => {
  res.setHeader('Content-Type', 'application/json')
  res.end(JSON.stringify({ ok: true }))
}
serve(hello)
