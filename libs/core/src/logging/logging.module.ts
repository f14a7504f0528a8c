import { Module } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { LoggerModule } from 'nestjs-pino';
import { appConfig } from '../config/config.namespaces';
import { appLoggerOptions } from './logger-options';

/**
 * Structured JSON logs (pino) behind Nest's logger. The request id reaches every line through
 * the request context that `createHttpApp` sets up in Fastify hooks; the access line is a hook
 * too. So nestjs-pino's per-request middleware (a child logger per request, run through
 * middie) is left out: `forRoutes: []`.
 */
@Module({
  imports: [
    LoggerModule.forRootAsync({
      inject: [appConfig.KEY],
      useFactory: (app: ConfigType<typeof appConfig>) => ({
        pinoHttp: appLoggerOptions(app.logLevel),
        forRoutes: [],
      }),
    }),
  ],
})
export class KeelLoggingModule {}
