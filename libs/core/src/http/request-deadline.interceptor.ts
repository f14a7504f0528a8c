import {
  Inject,
  Injectable,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Observable } from 'rxjs';
import { appConfig } from '../config/config.namespaces';
import { ServiceUnavailableError } from '../errors/domain-error';

/**
 * An answer within HTTP_HANDLER_TIMEOUT_MS for every request, whatever a handler waits on:
 * past it the client gets 503 problem+json and the handler's late result is dropped. Every
 * dependency call has its own, shorter bound (query, pool, Redis, cache); this one catches
 * what none of them covers. A response that has begun (a stream, an export) is left alone,
 * and so are uploads (`@StreamedBody()`), whose handler runs as long as the body arrives.
 */
@Injectable()
export class RequestDeadlineInterceptor implements NestInterceptor {
  constructor(@Inject(appConfig.KEY) private readonly app: ConfigType<typeof appConfig>) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const http = context.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    if ((request.routeOptions.config as { streamedBody?: boolean }).streamedBody) {
      return next.handle();
    }
    return new Observable((subscriber) => {
      const deadline = setTimeout(() => {
        if (!reply.raw.headersSent) {
          subscriber.error(
            new ServiceUnavailableError('The request took too long. Try again shortly.'),
          );
        }
      }, this.app.http.handlerTimeoutMs);
      const handled = next.handle().subscribe({
        next: (value) => subscriber.next(value),
        error: (error: unknown) => subscriber.error(error),
        complete: () => subscriber.complete(),
      });
      return () => {
        clearTimeout(deadline);
        handled.unsubscribe();
      };
    });
  }
}
