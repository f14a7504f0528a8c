// Bare Fastify with its defaults: the same routes and bodies as node-http.mjs.
import Fastify from 'fastify';
import { ready, port, responses } from './bodies.mjs';

const app = Fastify({ logger: false });
const json = (reply, status, body) =>
  reply.code(status).header('content-type', 'application/json; charset=utf-8').send(body);

app.get('/v1/items', (_req, reply) => json(reply, 200, responses.page));
app.get('/v1/items/:id', (_req, reply) => json(reply, 200, responses.item));
app.post('/v1/items', (_req, reply) => json(reply, 201, responses.created));
app.post('/v1/auth/login', (_req, reply) => json(reply, 200, responses.login));

await app.listen({ port, host: '127.0.0.1' });
ready();
