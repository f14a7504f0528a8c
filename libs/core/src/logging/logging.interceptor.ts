import { HTTP_CODE_METADATA } from '@nestjs/common/constants.js';
import { CallHandler, ExecutionContext, Injectable, Logger, NestInterceptor } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { Observable, tap } from 'rxjs';
import { statusOfError } from '../errors/problem-details.filter';

/** One access log line per handled request: method, route pattern, status, duration. */
@Injectable()
export class LoggingInterceptor implements NestInterceptor {
  private readonly logger = new Logger('Http');

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const http = context.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    // Nest applies the handler's status code after the interceptors have run.
    const successStatus =
      (Reflect.getMetadata(HTTP_CODE_METADATA, context.getHandler()) as number | undefined) ??
      (request.method === 'POST' ? 201 : 200);
    const started = performance.now();
    const line = (status: number) => ({
      method: request.method,
      route: request.routeOptions.url,
      status,
      durationMs: Math.round((performance.now() - started) * 10) / 10,
    });
    return next.handle().pipe(
      tap({
        next: () => this.logger.log(line(successStatus), 'request completed'),
        error: (error: unknown) => this.logger.log(line(statusOfError(error)), 'request failed'),
      }),
    );
  }
}
