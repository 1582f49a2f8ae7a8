// Preloaded into a Gatehouse process by test/tracing.e2e-spec.ts (NODE_OPTIONS=--require …): writes
// a line to stderr for every OpenTelemetry package the process requires, so the test can see that
// with tracing off none is loaded at all (and, with it on, that the probe does see them).
const Module = require('node:module');

const load = Module._load;
Module._load = function (request, ...rest) {
  if (request.startsWith('@opentelemetry/')) process.stderr.write(`[opentelemetry module loaded] ${request}\n`);
  return load.call(this, request, ...rest);
};
