import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { startTestApp, type TestApp } from '@keel/testing';
import { isLoopbackAddress } from './support/loopback-only-network';

/**
 * Swagger UI at /docs in a real headless Chromium, used as a person uses it: register, log in,
 * Authorize with the token, create an item and list it. The page must run under the CSP the
 * app sends, log no error and reach nothing beyond this machine.
 *
 * Debian's `chromium`; skipped where it is missing unless KEEL_REQUIRE_CHROMIUM is set
 * (`.ci/run` installs it and sets it).
 */
const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && process.env.KEEL_REQUIRE_CHROMIUM) {
  throw new Error(`KEEL_REQUIRE_CHROMIUM is set but ${CHROMIUM} is missing`);
}
const describeWithChromium = haveChromium ? describe : describe.skip;

jest.setTimeout(180_000);

interface Violation {
  directive: string;
  blockedURI: string;
}

describeWithChromium('Swagger UI in Chromium', () => {
  let testApp: TestApp;
  let baseUrl: string;
  let profileDir: string;
  let context: BrowserContext;
  let page: Page;
  const consoleErrors: string[] = [];
  const pageErrors: string[] = [];
  const violations: Violation[] = [];
  const offHost: string[] = [];

  beforeAll(async () => {
    testApp = await startTestApp();
    baseUrl = await testApp.listen();
    profileDir = mkdtempSync(join(tmpdir(), 'keel-chromium-'));
    context = await chromium.launchPersistentContext(profileDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    // Anything the page asks of another host is refused and recorded.
    await context.route('**/*', async (route) => {
      const { protocol, hostname } = new URL(route.request().url());
      if ((protocol === 'http:' || protocol === 'https:') && !isLoopback(hostname)) {
        offHost.push(route.request().url());
        return route.abort('blockedbyclient');
      }
      return route.continue();
    });
    await context.exposeBinding('keelReportViolation', (_source, violation: Violation) => {
      violations.push(violation);
    });
    // Runs in the page (as a string: this project's types have no DOM), before Swagger UI's scripts.
    await context.addInitScript(`document.addEventListener('securitypolicyviolation', (event) =>
      window.keelReportViolation({ directive: event.violatedDirective, blockedURI: event.blockedURI }));`);
    page = context.pages()[0] ?? (await context.newPage());
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    page.on('pageerror', (error) => pageErrors.push(error.message));
  });

  afterAll(async () => {
    await context?.close();
    if (profileDir) rmSync(profileDir, { recursive: true, force: true });
    await testApp?.close();
  });

  it('registers, logs in, authorises, creates an item and lists it, with no error on the page', async () => {
    await page.goto(`${baseUrl}/docs`);
    await page.locator('.swagger-ui .info .title').waitFor();

    const user = { email: 'swagger@keel.test', password: 'swagger-password', displayName: 'Ui' };
    const registered = await execute(page, 'post', '/v1/auth/register', user);
    expect(registered.status).toBe('201');
    expect(JSON.parse(registered.body)).toMatchObject({ email: user.email });

    const login = await execute(page, 'post', '/v1/auth/login', {
      email: user.email,
      password: user.password,
    });
    expect(login.status).toBe('200');
    const { accessToken } = JSON.parse(login.body) as { accessToken: string };
    expect(accessToken).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);

    await authorize(page, accessToken);

    const created = await execute(page, 'post', '/v1/items', {
      name: 'Walnut desk from Swagger UI',
      price: '249.90',
    });
    expect(created.status).toBe('201');
    const item = JSON.parse(created.body) as { id: string; ownerId: string };

    const listed = await execute(page, 'get', '/v1/items');
    expect(listed.status).toBe('200');
    const page1 = JSON.parse(listed.body) as { data: Array<{ id: string; name: string }> };
    expect(page1.data).toContainEqual(
      expect.objectContaining({ id: item.id, name: 'Walnut desk from Swagger UI' }),
    );

    expect({ consoleErrors, pageErrors, violations, offHost }).toEqual({
      consoleErrors: [],
      pageErrors: [],
      violations: [],
      offHost: [],
    });
  });
});

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || isLoopbackAddress(hostname);
}

/** The operation's block, found by method and exact path as Swagger UI renders it. */
function operation(page: Page, method: string, path: string): Locator {
  return page
    .locator(`.opblock.opblock-${method}`)
    .filter({ has: page.locator(`.opblock-summary-path[data-path="${path}"]`) });
}

/** Expand, "Try it out", fill the JSON body, "Execute"; the status and body Swagger UI shows. */
async function execute(
  page: Page,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: string; body: string }> {
  const block = operation(page, method, path);
  await block.locator('.opblock-summary').first().click();
  await block.locator('.try-out__btn').click();
  if (body !== undefined) {
    await block.locator('textarea.body-param__text').fill(JSON.stringify(body));
  }
  await block.locator('button.execute').click();
  const response = block.locator('.live-responses-table .response');
  await response.locator('.response-col_status').waitFor();
  const status = (await response.locator('.response-col_status').innerText()).trim();
  const text = await response.locator('.response-col_description pre').first().innerText();
  // Collapsed again, so the next operation's locators see one block each.
  await block.locator('.opblock-summary').first().click();
  return { status, body: text };
}

/** "Authorize", paste the token into the `bearer` (JWT) scheme's field, confirm, close. */
async function authorize(page: Page, token: string): Promise<void> {
  await page.locator('.scheme-container button.authorize').click();
  const dialog = page.locator('.modal-ux');
  const jwt = dialog
    .locator('.auth-container')
    .filter({ has: page.locator('h4 > code', { hasText: /^bearer$/ }) });
  await jwt.locator('input#auth-bearer-value').fill(token);
  await jwt.locator('button.authorize').click();
  await jwt.locator('h6', { hasText: 'Authorized' }).waitFor();
  await dialog.locator('button.close-modal').click();
  await dialog.waitFor({ state: 'detached' });
}
