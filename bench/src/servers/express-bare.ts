// Express 5 with no authentication: the ceiling every Express variant is compared with.
import express from 'express'
import { ROUTE, serve } from './serve.js'

const app = express()
app.get(ROUTE, (_req, res) => {
  res.json({ ok: true })
})
serve(app)
