export * from './config/env';
export * from './config/config.namespaces';
export * from './config/config.module';
export * from './errors/domain-error';
export * from './errors/problem';
export * from './errors/problem-details.filter';
export * from './errors/database-unavailable';
export * from './http/create-http-app';
export * from './http/openapi-document';
export * from './http/api-problems.decorator';
export * from './http/request-id';
export * from './logging/logging.module';
export * from './pagination/pagination';
export * from './auth/auth.decorators';
export * from './redis/redis.module';
export * from './rate-limit/rate-limit.store';
export * from './rate-limit/rate-limit.module';
export * from './rate-limit/rate-limit';
export * from './resilience/dependency-policy';
export * from './ids/uuidv7';
export * from './http/validation';
export * from './http/streamed-body';
export * from './http/preconditions';
export * from './cache/cache.module';
export * from './cache/response-cache';
export * from './cache/response-cache.interceptor';
export * from './http/request-context';
export * from './lifecycle/shutdown';
export * from './lifecycle/http-drain';
export * from './http/reachable-urls';
export * from './lifecycle/start-failure';
export {
  createNestProcessLogger,
  createProcessLogger,
  withQuietFramework,
} from './logging/logger-options';
export * from './http/request-deadline.interceptor';
export * from './metrics/metrics';
export * from './metrics/metrics.module';
export { serveClusterMetrics } from './metrics/metrics-server';
export * from './tracing/trace-context';
export { tracingEnabled } from './tracing/tracing-state';
export { startTracing, stopTracing } from './tracing/tracing';
export * from './crypto/sealed-token';
export * from './redis/queue-lifecycle';
