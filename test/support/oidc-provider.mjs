// A real OpenID Connect provider (oidc-provider) for the single sign-on tests, in a process of
// its own (the package is ESM-only). Settings come as JSON in OIDC_TEST_PROVIDER; it listens on
// a free loopback port and prints `listening <port>`.
//
// No login page: the test picks the account by adding `?account=<id>` to the interaction URL,
// and the interaction is finished at once (login and consent). An account id is the base64url
// JSON of its claims (`email`, `email_verified`, `name`), so each test makes the users it needs.
import { createServer } from 'node:http';
import Provider from 'oidc-provider';

const { issuer, clientId, clientSecret, redirectUri, jwk } = JSON.parse(
  process.env.OIDC_TEST_PROVIDER,
);

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: clientId,
      client_secret: clientSecret,
      redirect_uris: [redirectUri],
      response_types: ['code'],
      grant_types: ['authorization_code'],
    },
  ],
  jwks: { keys: [jwk] },
  cookies: { keys: ['keel-test-provider-cookies'] },
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  features: { devInteractions: { enabled: false } },
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  findAccount: (_ctx, accountId) => ({
    accountId,
    claims: () => ({ sub: accountId, ...JSON.parse(Buffer.from(accountId, 'base64url')) }),
  }),
});

provider.use(async (ctx, next) => {
  if (ctx.method !== 'GET' || !ctx.path.startsWith('/interaction/')) return next();
  const accountId = String(ctx.query.account ?? '');
  const { params } = await provider.interactionDetails(ctx.req, ctx.res);
  const grant = new provider.Grant({ accountId, clientId: params.client_id });
  grant.addOIDCScope(params.scope);
  const grantId = await grant.save();
  const returnTo = await provider.interactionResult(
    ctx.req,
    ctx.res,
    { login: { accountId }, consent: { grantId } },
    { mergeWithLastSubmission: false },
  );
  ctx.status = 303;
  ctx.redirect(returnTo);
});

const server = createServer(provider.callback());
server.listen(0, '127.0.0.1', () => console.log(`listening ${server.address().port}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
