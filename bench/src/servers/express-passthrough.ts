// Express 5 with two middlewares that only call `next()`, mounted where scopeguard's app-wide
// form mounts `auth()` (`app.use()`) and `requireScopes()` (on the route): what Express itself
// charges for any middleware mounted so, the most such a middleware can reach.
import express, { type NextFunction, type Request, type Response } from 'express'
import { ROUTE, serve } from './serve.js'

function passOn(_req: Request, _res: Response, next: NextFunction): void {
  next()
}

const app = express()
app.use(passOn)
app.get(ROUTE, passOn, (_req, res) => {
  res.json({ ok: true })
})
serve(app)
