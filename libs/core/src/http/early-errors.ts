import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { ValidationFailedError } from '../errors/domain-error';
import { mapError, problemBody } from '../errors/problem-details.filter';
import { PROBLEM_CONTENT_TYPE } from '../errors/problem';
import { REQUEST_ID_HEADER } from './request-id';

/**
 * Fastify's `frameworkErrors`: the router refuses a malformed URL (400) or an over-long path
 * parameter (414) before any hook runs, and would answer in its own JSON. These get the same
 * problem+json as every other error, with the request id and the security headers.
 */
export function frameworkErrorHandler(headers: Record<string, string>) {
  return (error: FastifyError, request: FastifyRequest, reply: FastifyReply): void => {
    const body = problemBody(mapError(error), request.url, String(request.id));
    void reply
      .headers(headers)
      .header(REQUEST_ID_HEADER, request.id)
      .header('content-type', PROBLEM_CONTENT_TYPE)
      .status(body.status)
      .send(body);
  };
}

/**
 * Node refuses an HTTP/1.1 request without `Host` itself, with an empty 400. Its check is
 * turned off (`requireHostHeader = false` on the server) and made here, in an `onRequest`
 * hook, so the refusal is problem+json like every other.
 */
export function missingHostError(request: FastifyRequest): ValidationFailedError | undefined {
  if (request.raw.httpVersion !== '1.1' || request.headers.host !== undefined) return undefined;
  return new ValidationFailedError([
    { field: 'Host', message: 'an HTTP/1.1 request must carry a Host header' },
  ]);
}

function clientErrorAnswer(code: string | undefined): { status: number; detail: string } {
  if (code === 'HPE_HEADER_OVERFLOW')
    return { status: 431, detail: 'The request line and headers are larger than accepted.' };
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT')
    return { status: 408, detail: 'The request did not arrive in time.' };
  return { status: 400, detail: 'The request is not valid HTTP.' };
}

/**
 * The server's `clientError`: Node's HTTP parser refuses bad header bytes, a Content-Length
 * with a Transfer-Encoding, a malformed request line or oversized headers before Fastify sees
 * a request. Answered here as problem+json with a new request id (also in the log line), and
 * the connection is closed: after a parse error the rest of its bytes cannot be trusted.
 */
export function clientErrorHandler(log: Logger) {
  return (error: Error & { code?: string }, socket: Socket): void => {
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    const { status, detail } = clientErrorAnswer(error.code);
    const requestId = randomUUID();
    log.info({ reqId: requestId, status, code: error.code }, 'request refused by the HTTP parser');
    // As Node does: nothing is written into a response that has already begun on this socket.
    const started = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage
      ?.headersSent;
    if (socket.writable && !started) {
      const title = STATUS_CODES[status] ?? 'Error';
      const body = JSON.stringify({ type: 'about:blank', title, status, detail, requestId });
      socket.write(
        `HTTP/1.1 ${status} ${title}\r\ncontent-type: ${PROBLEM_CONTENT_TYPE}\r\n` +
          `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n` +
          `${REQUEST_ID_HEADER}: ${requestId}\r\n\r\n${body}`,
      );
    }
    socket.destroy();
  };
}
