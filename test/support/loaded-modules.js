'use strict';
/**
 * Preloaded into a process under test (`NODE_OPTIONS=--require <this file>`): when the
 * process exits it writes one JSON line to stderr saying whether it loaded the
 * OpenTelemetry SDK.
 */
const { writeSync } = require('node:fs');

process.on('exit', () => {
  const loaded = Object.keys(require.cache).some((file) =>
    file.includes('/@opentelemetry/sdk-node/'),
  );
  writeSync(2, `${JSON.stringify({ openTelemetrySdkLoaded: loaded })}\n`);
});
