import { type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import { parseEnv } from '../config/env';
import { ProblemDetailsFilter } from '../errors/problem-details.filter';
import {
  createAccessLogger,
  createNestProcessLogger,
  withQuietFramework,
} from '../logging/logger-options';
import { Metrics } from '../metrics/metrics';
import { currentTraceIds } from '../tracing/trace-context';
import { clientErrorHandler, frameworkErrorHandler, missingHostError } from './early-errors';
import { BodyTooComplexError, checkRequestText, exceededJsonLimit } from './input-limits';
import { buildOpenApiDocument, useUriVersioning } from './openapi-document';
import { runInRequestContext } from './request-context';
import { REQUEST_ID_HEADER, requestIdFor } from './request-id';
import { RouteTable } from './route-table';
import { API_SECURITY_HEADERS, securityHeaders } from './security-headers';
import { STREAMED_BODY_TYPES } from './streamed-body';
import { createValidationPipe } from './validation';

/** The trace a response belongs to, when tracing is on (see README, Observability). */
export const TRACE_ID_HEADER = 'x-trace-id';

/**
 * Builds the HTTP application exactly as production runs it. main.ts and the
 * end-to-end tests both call this, so tests exercise the real pipeline.
 */
export async function createHttpApp(rootModule: Type): Promise<NestFastifyApplication> {
  const env = parseEnv();
  const routes = new RouteTable();
  // Swagger UI's pages get helmet's set, with a policy that lets the page run; every other
  // response the API set (see security-headers.ts).
  const docsSecurity = securityHeaders({
    contentSecurityPolicy: {
      directives: {
        defaultSrc: [`'self'`],
        // Swagger UI's page and React set inline styles; its scripts, the init script
        // included, are files (test/swagger-ui.e2e-spec.ts runs the page under this policy).
        styleSrc: [`'self'`, `'unsafe-inline'`],
        scriptSrc: [`'self'`],
        imgSrc: [`'self'`, 'data:'],
        // TLS ends at the load balancer; upgrading would break Swagger UI on plain-HTTP hosts.
        upgradeInsecureRequests: null,
      },
    },
  });
  const accessLog = createAccessLogger(env.app.logLevel);
  const adapter = new FastifyAdapter({
    bodyLimit: env.app.bodyLimitBytes,
    trustProxy:
      typeof env.app.trustProxy === 'number' ? trustHops(env.app.trustProxy) : env.app.trustProxy,
    genReqId: requestIdFor,
    requestIdHeader: false,
    // While closing, a request that still arrives on an open connection is served (with
    // `Connection: close`): the process works until its listener has drained, and a 503 here
    // would be Fastify's plain JSON. See HttpDrain for how connections are shed.
    return503OnClosing: false,
    forceCloseConnections: 'idle',
    // Stalled clients must not hold sockets: see HTTP_*_TIMEOUT_MS in the README.
    connectionTimeout: env.app.http.idleTimeoutMs,
    keepAliveTimeout: env.app.http.keepAliveTimeoutMs,
    requestTimeout: env.app.http.requestTimeoutMs,
    http: {
      headersTimeout: env.app.http.headersTimeoutMs,
      // Node checks the two timeouts above on this interval (30 s by default, which let slow
      // headers live for up to 90 s).
      connectionsCheckingInterval: Math.min(1_000, env.app.http.headersTimeoutMs),
    },
    // Keel registers no Nest middleware: what runs on every request is a Fastify hook.
    skipMiddie: true,
    frameworkErrors: frameworkErrorHandler(API_SECURITY_HEADERS),
    clientErrorHandler: clientErrorHandler(accessLog),
  });
  const fastify = adapter.getInstance();
  fastify.addHook('onRoute', (route) => routes.add(route.method, route.url));
  // JSON is the only body type accepted, except on upload routes marked `@StreamedBody()`,
  // which read the request stream themselves (no size limit applies to it here).
  fastify.removeContentTypeParser(['text/plain']);
  // JSON is measured before it is parsed: see input-limits.ts. The default parser stays for
  // the parsing itself (it refuses `__proto__` and `constructor.prototype` keys).
  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body as string;
    const exceeded = exceededJsonLimit(text);
    if (exceeded === undefined) void parseJson(request, text, done);
    else done(new BodyTooComplexError(exceeded), undefined);
  });
  fastify.addContentTypeParser(STREAMED_BODY_TYPES, (request, _payload, done) => {
    if ((request.routeOptions.config as { streamedBody?: boolean }).streamedBody) {
      done(null, undefined);
      return;
    }
    const unsupported = Object.assign(new Error('Unsupported Media Type'), {
      statusCode: 415,
      code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE',
    });
    done(unsupported, undefined);
  });
  // Node's own Host check answers an empty 400; the onRequest hook checks it instead.
  (fastify.server as { requireHostHeader?: boolean }).requireHostHeader = false;
  // Security headers first, so a handler can still override one; then the request context,
  // which gives code without the request (logs, the outbox) its id: see request-context.ts.
  // With tracing on, the request's span is active here (in the trace of an incoming
  // `traceparent`, or a new one): its ids go on the response and the access line.
  const traces = new WeakMap<object, { traceId: string; spanId: string }>();
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.headers(request.url.startsWith('/docs') ? docsSecurity : API_SECURITY_HEADERS);
    const trace = currentTraceIds();
    if (trace) {
      traces.set(request, trace);
      void reply.header(TRACE_ID_HEADER, trace.traceId);
    }
    runInRequestContext(request.id, () => done(missingHostError(request)));
  });
  // Every string that enters, in the body, the query or the path, is checked here once,
  // before any validator or query sees it.
  fastify.addHook('preValidation', (request, _reply, done) =>
    runInRequestContext(request.id, () => done(checkRequestText(request))),
  );
  fastify.addHook('onSend', (request, reply, payload, done) => {
    void reply.header(REQUEST_ID_HEADER, request.id);
    void reply.header('x-response-time', reply.elapsedTime.toFixed(1));
    done(null, payload);
  });

  const app = await NestFactory.create<NestFastifyApplication>(rootModule, adapter, {
    bufferLogs: true,
    bodyParser: false,
    // JSON lines from the start, and a failure to start is rethrown to main.ts, not an abort.
    logger: createNestProcessLogger(env.app.logLevel),
    abortOnError: false,
  });
  app.useLogger(withQuietFramework(app.get(Logger)));
  app.flushLogs();
  // The access line and the request metric are a Fastify hook, not an interceptor:
  // interceptors never see requests that a guard refuses, that match no route, or whose body
  // fails to parse.
  // METRICS_PORT=0: nothing is served, so nothing is recorded either.
  const metrics = env.app.metricsPort > 0 ? app.get(Metrics) : undefined;
  fastify.addHook('onResponse', (request, reply, done) => {
    const status = reply.statusCode;
    const route = request.routeOptions.url;
    metrics?.observeHttp(request.method, route, status, reply.elapsedTime / 1000);
    const line = {
      reqId: request.id,
      method: request.method,
      route: route ?? null,
      status,
      durationMs: Math.round(reply.elapsedTime * 10) / 10,
      ...traces.get(request),
    };
    if (status >= 500) accessLog.error(line, 'request failed');
    else accessLog.info(line, 'request completed');
    done();
  });

  if (env.app.corsOrigins.length > 0) {
    app.enableCors({
      origin: env.app.corsOrigins.includes('*') ? true : env.app.corsOrigins,
      exposedHeaders: [
        'x-request-id',
        TRACE_ID_HEADER,
        'etag',
        'location',
        'retry-after',
        'ratelimit-limit',
        'ratelimit-remaining',
        'ratelimit-reset',
      ],
    });
  }
  useUriVersioning(app);
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new ProblemDetailsFilter(routes));

  SwaggerModule.setup('docs', app, buildOpenApiDocument(app), {
    jsonDocumentUrl: 'docs-json',
    yamlDocumentUrl: 'docs-yaml',
    swaggerOptions: { persistAuthorization: true },
  });
  return app;
}

/** Trust the nearest `hops` proxies: the client address is the entry they appended. */
function trustHops(hops: number) {
  return (_address: string, hop: number) => hop < hops;
}
