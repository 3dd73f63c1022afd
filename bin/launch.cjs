'use strict';
// Loads dist/accessctl.cjs with the V8 code cache recorded at build time (dist/accessctl.cjs.cache).
// A cache from another Node version is rejected by V8 and the bundle simply compiles as usual.
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
const Module = require('node:module');

function load(cacheOut) {
  const file = path.join(__dirname, '..', 'dist', 'accessctl.cjs');
  // The bundle is ASCII (esbuild escapes the rest), so latin1 reads it without UTF-8 decoding.
  const source = fs.readFileSync(file, 'latin1');
  let cachedData;
  if (!cacheOut) {
    try {
      cachedData = fs.readFileSync(`${file}.cache`);
    } catch {
      cachedData = undefined;
    }
  }
  const script = new vm.Script(Module.wrap(source), { filename: file, cachedData });
  const module = { exports: {} };
  script.runInThisContext()(module.exports, Module.createRequire(file), module, file, path.dirname(file));
  return { exports: module.exports, script };
}

module.exports = { load };
