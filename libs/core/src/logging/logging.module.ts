import { Module, RequestMethod, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { IncomingMessage } from 'node:http';
import { LoggerModule } from 'nestjs-pino';
import { appConfig } from '../config/config.namespaces';
import { requestContextMiddleware } from '../http/request-context';

/**
 * Structured JSON logs (pino); every line written during a request carries its `reqId`.
 * Also keeps the request id in async context for the outbox (`currentRequestId()`).
 */
@Module({
  imports: [
    LoggerModule.forRootAsync({
      inject: [appConfig.KEY],
      useFactory: (app: ConfigType<typeof appConfig>) => ({
        pinoHttp: {
          level: app.logLevel,
          // The access line comes from a Fastify onResponse hook (create-http-app.ts).
          autoLogging: false,
          quietReqLogger: true,
          genReqId: (req: IncomingMessage) => (req as IncomingMessage & { id: string }).id,
          redact: [
            'req.headers.authorization',
            'req.headers.cookie',
            '*.password',
            '*.refreshToken',
          ],
          base: { service: 'keel', pid: process.pid },
          timestamp: () => `,"time":"${new Date().toISOString()}"`,
          formatters: { level: (label: string) => ({ level: label }) },
        },
      }),
    }),
  ],
})
export class KeelLoggingModule implements NestModule {
  /** Makes the request id available to code that has no request (`currentRequestId()`). */
  configure(consumer: MiddlewareConsumer): void {
    consumer
      .apply(requestContextMiddleware)
      .forRoutes({ path: '{/*splat}', method: RequestMethod.ALL });
  }
}
