// The first import of main.ts: the SDK must be running before pg, ioredis, amqplib and http
// are loaded, which @keel/core's entry point does, so this one file reaches past it.
// eslint-disable-next-line no-restricted-imports
import { startTracing } from '../../../libs/core/src/tracing/tracing';

startTracing('keel-worker');
