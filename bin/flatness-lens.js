#!/usr/bin/env node
'use strict';
// Runs the bundled CLI (dist/cli.js, built by `npm run build`); in a source checkout without a
// build, or with FLATNESS_LENS_FROM_SOURCE set (the tests), it runs the TypeScript sources through tsx.
const path = require('node:path');
const fs = require('node:fs');
const bundled = path.join(__dirname, '..', 'dist', 'cli.js');
let cli;
if (fs.existsSync(bundled) && !process.env.FLATNESS_LENS_FROM_SOURCE) {
  cli = require(bundled);
} else {
  require('tsx/cjs');
  cli = require(path.join(__dirname, '..', 'src', 'cli', 'main.ts'));
}
cli.main(process.argv.slice(2)).then((status) => { process.exitCode = status; });
