// Node's own import(), for the in-process tests (test/world.ts): loaded with require(), this
// file is compiled by Node itself, so its import() reaches Node's loader, not the test
// runner's.
"use strict";
module.exports = (specifier) => import(specifier);
