export * from './test-app';
export * from './test-database';
export * from './factories';
export * from './api-process';
export * from './tcp-proxy';
export * from './redis-server';
export * from './event-stream';
export * from './query-counter';
