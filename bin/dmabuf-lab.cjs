#!/usr/bin/env node
'use strict';
// Loads the bundled CLI with the V8 code cache that the build wrote next to it
// (scripts/build.mjs): compiling the 650 KB bundle is a quarter of the start-up. A cache
// that V8 refuses (another Node version, a rebuilt bundle) only costs the compile.
const { readFileSync } = require('node:fs');
const { dirname, join } = require('node:path');
const Module = require('node:module');
const vm = require('node:vm');

const file = join(__dirname, '..', 'dist', 'cli.cjs');
let cachedData;
try { cachedData = readFileSync(`${file}.cache`); } catch { cachedData = undefined; }
const script = new vm.Script(Module.wrap(readFileSync(file, 'utf8')), { filename: file, cachedData });
const mod = new Module(file, module);
mod.filename = file;
mod.paths = Module._nodeModulePaths(dirname(file));
script.runInThisContext().call(mod.exports, mod.exports, Module.createRequire(file), mod, file, dirname(file));
