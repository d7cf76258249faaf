/* eslint-disable @typescript-eslint/no-require-imports -- `export =` module declarations need `import x = require()` */
// The conformance suite installs several majors of each framework under aliases
// (package.json: "express4": "npm:express@^4", ...). They share the current majors' types,
// which is what the adapters are written against.
declare module 'express4' {
  import express = require('express')
  export = express
}
declare module 'express5' {
  import express = require('express')
  export = express
}
declare module 'koa2' {
  import Koa = require('koa')
  export = Koa
}
declare module 'koa3' {
  import Koa = require('koa')
  export = Koa
}
