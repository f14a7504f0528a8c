// Raw `pg` on node:http: Keel's item read and signed-in create with nothing between the
// request and the driver. Prepared (named) statements on a pool of 10 (Keel's default), the
// same token check (HS256 with Keel's secret, issuer and audience; then the user's status
// read from the database on every request) and the same writes (the item and its outbox row
// in one transaction). The list serves its first page only (scenario 6 reads it); deep cursors
// and the login are not served (– in the table).
//
//   node bench/reference/raw-pg.mjs <port>   with DATABASE_URL and JWT_SECRET set
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import pg from 'pg';

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
const key = Buffer.from(process.env.JWT_SECRET);
const COLUMNS = `id, name, description, price::text AS price, owner_id AS "ownerId", version,
  created_at AS "createdAt", updated_at AS "updatedAt"`;
const READ = { name: 'read-item', text: `SELECT ${COLUMNS} FROM items WHERE id = $1` };
const PAGE = {
  name: 'first-page',
  text: `SELECT ${COLUMNS} FROM items ORDER BY created_at DESC, id DESC LIMIT 20`,
};
const USER = { name: 'user-status', text: 'SELECT disabled FROM users WHERE id = $1' };
const INSERT_ITEM = {
  name: 'insert-item',
  text: `INSERT INTO items (id, owner_id, name, description, price) VALUES ($1, $2, $3, $4, $5)
    RETURNING ${COLUMNS}`,
};
// Stamped as published: this server has no relay, and Keel's relay must not publish its rows
// while this server is measured.
const INSERT_EVENT = {
  name: 'insert-event',
  text: `INSERT INTO outbox (id, type, aggregate_type, aggregate_id, actor_id, data, published_at)
    VALUES ($1, 'item.created', 'item', $2, $3, $4, now())`,
};
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const PRICE = /^\d{1,10}(\.\d{1,2})?$/;

function send(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

/** The token's subject when it is a valid access token, else undefined. */
function subject(authorization = '') {
  const [head, payload, signature] = authorization.replace(/^Bearer /, '').split('.');
  if (!signature) return undefined;
  const expected = createHmac('sha256', key).update(`${head}.${payload}`).digest();
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  try {
    if (JSON.parse(Buffer.from(head, 'base64url')).alg !== 'HS256') return undefined;
    const c = JSON.parse(Buffer.from(payload, 'base64url'));
    const audience = [c.aud].flat();
    const valid = c.iss === 'keel' && audience.includes('keel-api') && c.typ === 'access';
    return valid && c.exp * 1000 > Date.now() ? c.sub : undefined;
  } catch {
    return undefined;
  }
}

async function create(req, res) {
  const sub = subject(req.headers.authorization);
  const user = sub && (await pool.query(USER, [sub])).rows[0];
  if (!user || user.disabled) return send(res, 401, { title: 'Unauthorized' });
  let text = '';
  for await (const chunk of req) text += chunk;
  const { name, price, description = '' } = JSON.parse(text);
  const valid = typeof name === 'string' && name.length > 0 && name.length <= 200;
  if (!valid || !PRICE.test(price) || typeof description !== 'string' || description.length > 2000)
    return send(res, 400, { title: 'Bad Request' });
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const id = randomUUID();
    const [item] = (await client.query(INSERT_ITEM, [id, sub, name, description, price])).rows;
    await client.query(INSERT_EVENT, [randomUUID(), id, sub, { item }]);
    await client.query('COMMIT');
    send(res, 201, item);
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  } finally {
    client.release();
  }
}

async function handle(req, res) {
  const path = req.url.split('?', 1)[0];
  if (req.method === 'POST' && path === '/v1/items') return create(req, res);
  if (req.method === 'GET' && path === '/v1/items') {
    return send(res, 200, { items: (await pool.query(PAGE)).rows });
  }
  const id = req.method === 'GET' && path.startsWith('/v1/items/') && path.slice(10);
  if (!id || !UUID.test(id)) return send(res, 404, { title: 'Not Found' });
  const [item] = (await pool.query(READ, [id])).rows;
  send(res, item ? 200 : 404, item ?? { title: 'Not Found' });
}

const server = createServer((req, res) =>
  handle(req, res).catch(() => send(res, 500, { title: 'Internal Server Error' })),
);
server.keepAliveTimeout = 65_000;
server.listen(Number(process.argv[2]), '127.0.0.1', () => process.send?.('ready'));
