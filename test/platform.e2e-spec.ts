import { startTestApp, type TestApp } from '@keel/testing';

describe('platform', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ CORS_ORIGINS: 'https://app.example.com' });
  });
  afterAll(async () => {
    await t.close();
  });

  it('answers liveness and readiness', async () => {
    await t.http
      .get('/health/live')
      .expect(200, { status: 'ok', info: {}, error: {}, details: {} });
    const ready = await t.http.get('/health/ready').expect(200);
    expect(ready.body.info.database.status).toBe('up');
    expect(ready.body.info.process.status).toBe('up');
  });

  it('echoes a sane X-Request-Id and replaces an insane one', async () => {
    const kept = await t.http
      .get('/health/live')
      .set('X-Request-Id', 'client-id-12345')
      .expect(200);
    expect(kept.headers['x-request-id']).toBe('client-id-12345');
    const replaced = await t.http
      .get('/health/live')
      .set('X-Request-Id', 'bad id with spaces')
      .expect(200);
    expect(replaced.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const generated = await t.http.get('/health/live').expect(200);
    expect(generated.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(Number(generated.headers['x-response-time'])).toBeGreaterThanOrEqual(0);
  });

  it('puts the request id in every problem response', async () => {
    const res = await t.http.get('/v1/users/me').set('X-Request-Id', 'trace-me-please').expect(401);
    expect(res.body.requestId).toBe('trace-me-please');
    expect(res.body.instance).toBe('/v1/users/me');
  });

  it('answers unknown routes 404 and known routes with the wrong method 405 with Allow', async () => {
    const missing = await t.http.get('/v1/nothing-here?x=1').expect(404);
    expect(missing.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(missing.body).toMatchObject({ status: 404, instance: '/v1/nothing-here' });
    const wrong = await t.http.delete('/v1/auth/login').expect(405);
    expect(wrong.headers.allow).toBe('POST');
    expect(wrong.headers['content-type']).toMatch(/^application\/problem\+json/);
    const wrongParam = await t.http
      .put('/v1/users/00000000-0000-4000-8000-000000000000')
      .expect(405);
    expect(wrongParam.headers.allow).toBe('DELETE, GET, HEAD, PATCH');
  });

  it("sends the OWASP REST headers on API responses, helmet's on the docs, no X-Powered-By", async () => {
    for (const path of ['/health/live', '/v1/nothing-here']) {
      const res = await t.http.get(path);
      expect(res.headers['x-powered-by']).toBeUndefined();
      expect(res.headers).toMatchObject({
        'cache-control': expect.stringContaining('no-store'),
        'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
        'x-content-type-options': 'nosniff',
        'x-frame-options': 'DENY',
      });
      expect(res.headers['strict-transport-security']).toBeDefined();
    }
    const docs = await t.http.get('/docs').redirects(1).expect(200);
    expect(docs.headers['content-type']).toMatch(/^text\/html/);
    // Swagger UI's scripts are files: no inline script may run on the docs page.
    expect(docs.headers['content-security-policy']).toMatch(/(^|;)script-src 'self'(;|$)/);
    expect(docs.headers['x-content-type-options']).toBe('nosniff');
  });

  it('allows only configured CORS origins', async () => {
    const allowed = await t.http
      .options('/v1/users/me')
      .set('Origin', 'https://app.example.com')
      .set('Access-Control-Request-Method', 'GET');
    expect(allowed.headers['access-control-allow-origin']).toBe('https://app.example.com');
    const denied = await t.http
      .options('/v1/users/me')
      .set('Origin', 'https://evil.example.com')
      .set('Access-Control-Request-Method', 'GET');
    expect(denied.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('serves Swagger UI and an OpenAPI document describing bearer auth, DTOs and problems', async () => {
    const ui = await t.http.get('/docs').redirects(1).expect(200);
    expect(ui.text).toContain('swagger-ui');
    const doc = await t.http.get('/docs-json').expect(200);
    expect(doc.body.openapi).toMatch(/^3\./);
    expect(doc.body.components.securitySchemes.bearer).toMatchObject({
      type: 'http',
      scheme: 'bearer',
    });
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining([
        '/v1/auth/register',
        '/v1/auth/login',
        '/v1/auth/refresh',
        '/v1/auth/logout',
        '/v1/users/me',
        '/v1/users',
        '/v1/users/{id}',
        '/v1/items',
        '/v1/items/{id}',
        '/health/ready',
      ]),
    );
    expect(doc.body.components.schemas).toHaveProperty('ProblemDto');
    expect(doc.body.components.schemas).toHaveProperty('RegisterDto');
    expect(doc.body.components.schemas.RegisterDto.required).toEqual(
      expect.arrayContaining(['email', 'password', 'displayName']),
    );
    const login = doc.body.paths['/v1/auth/login'].post;
    expect(login.responses['401'].content).toHaveProperty(['application/problem+json']);
    expect(doc.body.paths['/v1/users/me'].get.security).toEqual([{ bearer: [] }]);
    const items = doc.body.paths['/v1/items'];
    // Public: says so, rather than leaving the reader to guess.
    expect(items.get.security).toEqual([]);
    expect(items.post.security).toEqual([{ 'api-key': [] }, { bearer: [] }]);
    expect(items.post.parameters).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'Idempotency-Key', in: 'header' })]),
    );
    expect(doc.body.paths['/v1/items/{id}'].patch.parameters).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'If-Match', in: 'header' })]),
    );
    expect(doc.body.components.schemas.CreateItemDto.required).toEqual(['name', 'price']);
  });
});
