'use strict';
// The parser thread from TypeScript sources, for a pool that runs from them (the tests).
require('../../../core/src/threads/from-source.js');
module.exports = require('./parse-worker.ts');
