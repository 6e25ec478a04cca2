#!/usr/bin/env node
// The whole CLI lives in dist/cli.js (built by `npm install` through the prepare script);
// this file stays a single import so start-up pays for nothing else.
import "../dist/cli.js";
