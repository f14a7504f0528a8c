'use strict';
/**
 * Lets a worker thread run TypeScript sources, as the tests do (ts-jest transpiles only the
 * test's own thread). Without it a thread would load dist/, and a stale build would be tested
 * in place of the current code. Each .ts file is transpiled on require with the project's
 * compiler options (decorators and their metadata included, which Node's own type stripping
 * does not support), and `@keel/<lib>` resolves to `libs/<lib>/src/index.ts`, as in jest.
 * Used only when the pool itself runs from a .ts file; builds run dist/ and never load this.
 */
const Module = require('node:module');
const { readFileSync } = require('node:fs');
const { join, resolve } = require('node:path');
const ts = require('typescript');

const root = resolve(__dirname, '../../../..');
const { config } = ts.readConfigFile(join(root, 'tsconfig.json'), ts.sys.readFile);
const { options } = ts.convertCompilerOptionsFromJson(config.compilerOptions, root);
const compilerOptions = {
  ...options,
  module: ts.ModuleKind.CommonJS,
  moduleResolution: ts.ModuleResolutionKind.Node10,
  sourceMap: false,
  inlineSourceMap: true,
  incremental: false,
  tsBuildInfoFile: undefined,
};

Module._extensions['.ts'] = (module, filename) => {
  const { outputText } = ts.transpileModule(readFileSync(filename, 'utf8'), {
    compilerOptions,
    fileName: filename,
  });
  module._compile(outputText, filename);
};

const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  const alias = /^@keel\/([a-z-]+)$/.exec(request);
  const target = alias ? join(root, 'libs', alias[1], 'src', 'index.ts') : request;
  return resolveFilename.call(this, target, ...rest);
};
