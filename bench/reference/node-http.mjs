// Bare node:http: the practical limit for a Node server on this machine. Same routes as Keel's
// scenarios; POST bodies are read and parsed as JSON, as any server must.
import { createServer } from 'node:http';
import { ready, port, responses } from './bodies.mjs';

function send(res, status, body) {
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

function readJson(req, then) {
  let text = '';
  req.setEncoding('utf8');
  req.on('data', (chunk) => (text += chunk));
  req.on('end', () => {
    try {
      JSON.parse(text);
    } catch {
      return then(400);
    }
    then(200);
  });
}

const server = createServer((req, res) => {
  const path = req.url.split('?', 1)[0];
  if (req.method === 'GET' && path === '/v1/items') return send(res, 200, responses.page);
  if (req.method === 'GET' && path.startsWith('/v1/items/')) return send(res, 200, responses.item);
  if (req.method === 'POST' && path === '/v1/items') {
    return readJson(req, (ok) => send(res, ok === 200 ? 201 : 400, responses.created));
  }
  if (req.method === 'POST' && path === '/v1/auth/login') {
    return readJson(req, (ok) => send(res, ok, responses.login));
  }
  send(res, 404, '{}');
});
server.keepAliveTimeout = 65_000;
server.listen(port, '127.0.0.1', ready);
