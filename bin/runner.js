#!/usr/bin/env node
// CommonJS (bin/package.json): Node starts no ES-module loader for runner's own code. All of
// runner is in dist/ (built by `npm install` through the prepare script); this file stays a
// single require so start-up pays for nothing else.
require("../dist/boot.cjs");
