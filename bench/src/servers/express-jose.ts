// Express 5 + the hand-rolled jose floor (jose-floor.ts): the cheapest correct check on
// Express, what scopeguard's Express figures are held to.
import express, { type RequestHandler } from 'express'
import { createFloorCheck } from './jose-floor.js'
import { ROUTE, serve, serverSettings } from './serve.js'

const settings = serverSettings()
const check = await createFloorCheck(settings)
// Express 5 passes a rejected promise to next(err); this one never rejects.
const requireToken: RequestHandler = async (req, res, next) => {
  const refusal = await check(req.headers.authorization)
  if (refusal === undefined) return next()
  res.status(refusal.status).set('WWW-Authenticate', refusal.challenge).json({ error: refusal.error })
}

const app = express()
app.use(requireToken)
app.get(ROUTE, (_req, res) => {
  res.json({ ok: true })
})
serve(app)
