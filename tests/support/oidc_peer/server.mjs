// An OpenID Connect provider for the engine's tests that looks like Keycloak to python-keycloak:
// oidc-provider (OpenID Certified) mounted under /realms/<realm> with Keycloak's
// /protocol/openid-connect/* routes, JWT (RS256) access tokens carrying Keycloak's claims, a plain
// HTML login page, and thin additions for what oidc-provider lacks: the password grant,
// Keycloak's back-channel logout (POST /logout with a refresh_token) and a userinfo endpoint that
// accepts the JWT access tokens it issued.
//
// Settings come from the environment (see README.md); state lives in memory and dies with the process.
// Secrets (the client secret, passwords, tokens) are never written to the log.
import * as crypto from 'node:crypto';
import * as http from 'node:http';
import * as querystring from 'node:querystring';

import Provider, { errors } from 'oidc-provider';

// ---------------------------------------------------------------------------------------- settings

function env(name, fallback) {
  const value = process.env[name];
  return value === undefined || value === '' ? fallback : value;
}

function envJson(name, fallback) {
  const value = env(name, undefined);
  if (value === undefined) return fallback;
  try {
    return JSON.parse(value);
  } catch (err) {
    throw new Error(`${name} is not valid JSON: ${err.message}`);
  }
}

function envSeconds(name, fallback) {
  const value = Number(env(name, String(fallback)));
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive whole number of seconds`);
  return value;
}

const HOST = env('OIDC_PEER_HOST', '127.0.0.1');
const PORT = Number(env('OIDC_PEER_PORT', '8180'));
const REALM = env('OIDC_PEER_REALM', 'cabinet');
const CLIENT_ID = env('OIDC_PEER_CLIENT_ID', 'cabinet-engine');
const CLIENT_SECRET = env('OIDC_PEER_CLIENT_SECRET', undefined);
const REDIRECT_URIS = envJson('OIDC_PEER_REDIRECT_URIS', []);
const POST_LOGOUT_REDIRECT_URIS = envJson('OIDC_PEER_POST_LOGOUT_REDIRECT_URIS', []);
const USERS_INPUT = envJson('OIDC_PEER_USERS', []);
const ACCESS_TOKEN_TTL = envSeconds('OIDC_PEER_ACCESS_TOKEN_TTL', 300);
const REFRESH_TOKEN_TTL = envSeconds('OIDC_PEER_REFRESH_TOKEN_TTL', 1800);
const SESSION_TTL = envSeconds('OIDC_PEER_SESSION_TTL', 36000);
const CODE_TTL = envSeconds('OIDC_PEER_CODE_TTL', 60);

if (!/^[A-Za-z0-9_-]{1,100}$/.test(REALM)) throw new Error('OIDC_PEER_REALM must match [A-Za-z0-9_-]{1,100}');
if (!CLIENT_SECRET) throw new Error('OIDC_PEER_CLIENT_SECRET is required');
if (!Array.isArray(REDIRECT_URIS) || REDIRECT_URIS.length === 0) {
  throw new Error('OIDC_PEER_REDIRECT_URIS must be a JSON list of at least one URI');
}
if (!Array.isArray(USERS_INPUT)) throw new Error('OIDC_PEER_USERS must be a JSON list');

const PREFIX = `/realms/${REALM}`;
const ISSUER = `http://${HOST}:${PORT}${PREFIX}`;
const OIDC = '/protocol/openid-connect';
// The one resource server: access tokens are JWTs whose audience is the client, as Keycloak's
// tokens for a confidential client are used by the engine.
const RESOURCE = `urn:cabinet-engine:realm:${REALM}`;
const SUPPORTED_SCOPES = ['openid', 'offline_access', 'profile', 'email', 'roles'];
// Keycloak's default client scopes: granted whatever the request names
const DEFAULT_SCOPES = ['profile', 'email', 'roles'];

function log(message) {
  process.stdout.write(`${new Date().toISOString()} ${message}\n`);
}

// ------------------------------------------------------------------------------------------- users

// A UUID (version 5, URL namespace) of the realm and user name: a stable Keycloak-like subject.
function uuid5(name) {
  const namespace = Buffer.from('6ba7b8119dad11d180b400c04fd430c8', 'hex');
  const hash = crypto.createHash('sha1').update(namespace).update(name, 'utf8').digest();
  hash[6] = (hash[6] & 0x0f) | 0x50;
  hash[8] = (hash[8] & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const RESERVED_CLAIMS = new Set(['iss', 'sub', 'aud', 'exp', 'iat', 'nbf', 'jti', 'azp', 'sid', 'scope',
  'client_id', 'typ', 'nonce', 'auth_time', 'acr', 'amr', 'at_hash', 'c_hash', 'cnf', 'session_state']);

const USERS = USERS_INPUT.map((input, index) => {
  if (!input || typeof input.username !== 'string' || !input.username || typeof input.password !== 'string') {
    throw new Error(`OIDC_PEER_USERS[${index}] needs a username and a password`);
  }
  const name = input.name ?? '';
  const [given, ...family] = name.split(' ');
  const claims = { ...(input.claims ?? {}) };
  for (const key of Object.keys(claims)) {
    if (RESERVED_CLAIMS.has(key)) throw new Error(`OIDC_PEER_USERS[${index}].claims may not set ${key}`);
  }
  return {
    sub: input.sub ?? uuid5(`${REALM}:${input.username.toLowerCase()}`),
    username: input.username.toLowerCase(),
    password: input.password,
    identity: {
      preferred_username: input.username.toLowerCase(),
      email: input.email,
      email_verified: input.email_verified ?? Boolean(input.email),
      name: name || undefined,
      given_name: input.given_name ?? (given || undefined),
      family_name: input.family_name ?? (family.join(' ') || undefined),
      realm_access: { roles: [...(input.roles ?? [])] },
      ...claims,
    },
  };
});
const EXTRA_CLAIMS = [...new Set(USERS.flatMap((user) => Object.keys(user.identity)))]
  .filter((claim) => !['preferred_username', 'email', 'email_verified', 'name', 'given_name', 'family_name',
    'realm_access'].includes(claim));

function userBySub(sub) {
  return USERS.find((user) => user.sub === sub);
}

function safeEqual(a, b) {
  const left = crypto.createHash('sha256').update(String(a)).digest();
  const right = crypto.createHash('sha256').update(String(b)).digest();
  return crypto.timingSafeEqual(left, right);
}

// Keycloak takes the user name or the email, without regard to case.
function checkCredentials(username, password) {
  const login = String(username ?? '').toLowerCase();
  const user = login ? USERS.find((candidate) => candidate.username === login
    || candidate.identity.email?.toLowerCase() === login) : undefined;
  const ok = safeEqual(user ? user.password : crypto.randomUUID(), password ?? '');
  return user && ok ? user : undefined;
}

function claimsOf(user) {
  const claims = { sub: user.sub, ...user.identity };
  return Object.fromEntries(Object.entries(claims).filter(([, value]) => value !== undefined));
}

// ----------------------------------------------------------------------------------- signing key

const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const KID = crypto.randomBytes(16).toString('base64url');
const PRIVATE_JWK = { ...privateKey.export({ format: 'jwk' }), kid: KID, alg: 'RS256', use: 'sig' };
const PUBLIC_KEY = crypto.createPublicKey(privateKey);

// --------------------------------------------------------------------------------- session state

// The grant behind each session id (sid), so that userinfo can refuse the access tokens of a
// session that was logged out (oidc-provider does not store JWT access tokens).
const grantOfSid = new Map();

async function sidIsActive(sid) {
  const grantId = grantOfSid.get(sid);
  return Boolean(grantId && await provider.Grant.find(grantId));
}

// ------------------------------------------------------------------------------------ the provider

function html(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(title, body) {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${html(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font-family:sans-serif;max-width:24rem;margin:3rem auto;padding:0 1rem}
label,input,button{display:block;box-sizing:border-box;width:100%;margin:.3rem 0}input{padding:.4rem}
button{padding:.5rem;margin-top:1rem}.error{color:#b00020}</style></head>
<body>${body}</body></html>
`;
}

const resourceServerInfo = {
  scope: SUPPORTED_SCOPES.join(' '),
  audience: CLIENT_ID,
  accessTokenFormat: 'jwt',
  accessTokenTTL: ACCESS_TOKEN_TTL,
  jwt: { sign: { alg: 'RS256' } },
};

const profileClaims = ['preferred_username', 'name', 'given_name', 'family_name'];
const emailClaims = ['email', 'email_verified'];

const configuration = {
  clients: [{
    client_id: CLIENT_ID,
    client_secret: CLIENT_SECRET,
    redirect_uris: REDIRECT_URIS,
    post_logout_redirect_uris: POST_LOGOUT_REDIRECT_URIS,
    grant_types: ['authorization_code', 'refresh_token', 'password'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',   // client_secret_post is accepted too
    id_token_signed_response_alg: 'RS256',
  }],
  clientAuthMethods: ['client_secret_basic', 'client_secret_post'],
  responseTypes: ['code'],
  scopes: SUPPORTED_SCOPES,
  claims: {
    acr: null,
    sid: null,
    auth_time: null,
    iss: null,
    // Keycloak's default client scopes put the identity in every ID token
    openid: ['sub', ...profileClaims, ...emailClaims, 'realm_access', ...EXTRA_CLAIMS],
    profile: profileClaims,
    email: emailClaims,
    roles: ['realm_access'],
  },
  conformIdTokenClaims: false,
  jwks: { keys: [PRIVATE_JWK] },
  cookies: { keys: [crypto.randomBytes(32).toString('base64url')] },
  pkce: { required: () => true },
  routes: {
    authorization: `${OIDC}/auth`,
    token: `${OIDC}/token`,
    jwks: `${OIDC}/certs`,
    userinfo: `${OIDC}/userinfo`,
    end_session: `${OIDC}/logout`,
    revocation: `${OIDC}/revoke`,
    pushed_authorization_request: `${OIDC}/ext/par/request`,
  },
  // served by the thin layer below (oidc-provider's own introspection does not know JWT access tokens)
  discovery: {
    introspection_endpoint: `${ISSUER}${OIDC}/token/introspect`,
    introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
  },
  features: {
    devInteractions: { enabled: false },
    userinfo: { enabled: true },
    revocation: { enabled: true },
    introspection: { enabled: false },
    // Keycloak's browser logout (GET or POST .../logout with id_token_hint), on plain pages
    rpInitiatedLogout: {
      enabled: true,
      logoutSource: async (ctx, form) => {
        ctx.body = page('Logging out', `<h1>Do you want to log out?</h1>${form}
<button id="kc-logout" type="submit" form="op.logoutForm" value="yes" name="logout">Logout</button>
<button type="submit" form="op.logoutForm">Stay signed in</button>`);
      },
      postLogoutSuccessSource: async (ctx) => {
        ctx.body = page('Logged out', '<h1>You are logged out</h1>');
      },
    },
    resourceIndicators: {
      enabled: true,
      defaultResource: async () => RESOURCE,
      useGrantedResource: async () => true,
      getResourceServerInfo: async (ctx, resourceIndicator) => {
        if (resourceIndicator !== RESOURCE) throw new errors.InvalidTarget();
        return resourceServerInfo;
      },
    },
  },
  findAccount: async (ctx, sub) => {
    const user = userBySub(sub);
    if (!user) return undefined;
    return { accountId: sub, claims: async () => claimsOf(user) };
  },
  // Keycloak's access tokens carry the identity and the realm roles, whatever the scope.
  extraTokenClaims: async (ctx, token) => {
    const user = userBySub(token.accountId);
    if (!user) return undefined;
    if (token.sid && token.grantId) grantOfSid.set(token.sid, token.grantId);
    const { sub, ...identity } = claimsOf(user);
    return { typ: 'Bearer', azp: token.clientId, sid: token.sid, session_state: token.sid, ...identity };
  },
  // a first-party client: consent is granted without asking, for every scope and resource requested
  loadExistingGrant: async (ctx) => {
    const { client, session } = ctx.oidc;
    const accountId = ctx.oidc.result?.login?.accountId ?? session?.accountId;
    if (!accountId) return undefined;
    const grantId = ctx.oidc.result?.consent?.grantId || session.grantIdFor(client.clientId);
    let grant = grantId ? await ctx.oidc.provider.Grant.find(grantId) : undefined;
    if (grant && grant.accountId !== accountId) grant = undefined;
    grant ||= new ctx.oidc.provider.Grant({ accountId, clientId: client.clientId });
    const requested = [...ctx.oidc.requestParamScopes].filter((scope) => SUPPORTED_SCOPES.includes(scope));
    const scopes = [...new Set([...requested, ...DEFAULT_SCOPES])].join(' ');
    grant.addOIDCScope(scopes);
    for (const indicator of Object.keys(ctx.oidc.resourceServers ?? {})) grant.addResourceScope(indicator, scopes);
    await grant.save();
    return grant;
  },
  issueRefreshToken: async (ctx, client) => client.grantTypeAllowed('refresh_token'),
  rotateRefreshToken: true,
  ttl: {
    AccessToken: ACCESS_TOKEN_TTL,
    IdToken: ACCESS_TOKEN_TTL,
    RefreshToken: REFRESH_TOKEN_TTL,
    AuthorizationCode: CODE_TTL,
    ClientCredentials: ACCESS_TOKEN_TTL,
    Interaction: 1800,
    Session: SESSION_TTL,
    Grant: SESSION_TTL,
  },
  interactions: {
    url: async (ctx, interaction) => `${PREFIX}/login-actions/${interaction.uid}`,
  },
  clientBasedCORS: () => false,
  renderError: async (ctx, out) => {
    ctx.type = 'html';
    ctx.body = page('Error', `<h1>We are sorry...</h1><p class="error">${html(out.error)}: ${html(out.error_description ?? '')}</p>`);
  },
};

const provider = new Provider(ISSUER, configuration);

// Keycloak puts the session id (sid) in every token; oidc-provider records it on authorization codes
// (and so on their tokens) only for clients with back-channel logout, unless asked to always.
provider.Client.prototype.includeSid = () => true;

for (const event of ['grant.error', 'authorization.error', 'end_session.error', 'revocation.error',
  'server_error', 'jwks.error', 'discovery.error']) {
  provider.on(event, (ctx, err) => {
    log(`${event}: ${err.error ?? err.name}: ${err.error_description ?? err.message}`
      + `${err.error_detail ? ` (${err.error_detail})` : ''}`);
  });
}
provider.on('grant.success', (ctx) => {
  if (ctx.status !== 200) return;   // the password grant's refusal answers by itself
  log(`token issued: grant_type=${ctx.oidc.params.grant_type} sub=${ctx.oidc.account?.accountId ?? '-'}`);
});

// Keycloak's extra token response members
provider.use(async (ctx, next) => {
  await next();
  if (ctx.path === `${OIDC}/token` && ctx.status === 200 && ctx.body && typeof ctx.body === 'object') {
    if (ctx.body.refresh_token) ctx.body.refresh_expires_in ??= REFRESH_TOKEN_TTL;
    ctx.body['not-before-policy'] ??= 0;
    const sid = ctx.oidc?.entities?.RefreshToken?.sid ?? ctx.oidc?.entities?.AccessToken?.sid;
    if (sid) ctx.body.session_state ??= sid;
  }
});

// The password grant (Keycloak's direct access grants), for the engine's optional direct login.
provider.registerGrantType('password', async (ctx) => {
  const { client, params } = ctx.oidc;
  const user = checkCredentials(params.username, params.password);
  if (!user) {
    log('password grant refused: invalid user credentials');
    ctx.status = 401;
    ctx.body = { error: 'invalid_grant', error_description: 'Invalid user credentials' };
    return;
  }
  const requested = (params.scope ?? '').split(' ').filter((scope) => SUPPORTED_SCOPES.includes(scope));
  const scopeSet = new Set([...requested, ...DEFAULT_SCOPES]);
  const scope = [...scopeSet].join(' ');
  const sid = crypto.randomUUID();
  const authTime = Math.floor(Date.now() / 1000);

  const grant = new provider.Grant({ accountId: user.sub, clientId: client.clientId });
  grant.addOIDCScope(scope);
  grant.addResourceScope(RESOURCE, scope);
  const grantId = await grant.save();
  grantOfSid.set(sid, grantId);
  ctx.oidc.entity('Grant', grant);
  ctx.oidc.entity('Account', await configuration.findAccount(ctx, user.sub));

  const at = new provider.AccessToken({
    accountId: user.sub, client, grantId, gty: 'password', sid,
  });
  at.resourceServer = new provider.ResourceServer(RESOURCE, resourceServerInfo);
  at.scope = grant.getResourceScopeFiltered(RESOURCE, [...scopeSet]);
  ctx.oidc.entity('AccessToken', at);
  const accessToken = await at.save();

  const rt = new provider.RefreshToken({
    accountId: user.sub, authTime, client, grantId, gty: 'password', resource: RESOURCE, rotations: 0,
    scope, sid,
  });
  ctx.oidc.entity('RefreshToken', rt);
  const refreshToken = await rt.save();

  let idToken;
  if (scopeSet.has('openid')) {
    const token = new provider.IdToken({ ...claimsOf(user), auth_time: authTime }, { ctx });
    token.scope = scope;
    token.set('sid', sid);
    idToken = await token.issue({ use: 'idtoken' });
  }

  ctx.body = {
    access_token: accessToken,
    expires_in: at.expiration,
    refresh_expires_in: REFRESH_TOKEN_TTL,
    refresh_token: refreshToken,
    token_type: 'Bearer',
    ...(idToken ? { id_token: idToken } : {}),
    'not-before-policy': 0,
    session_state: sid,
    scope: at.scope,
  };
}, ['username', 'password', 'scope']);

// --------------------------------------------------------------------------- the thin Keycloak layer

function send(res, status, body, headers = {}) {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': typeof body === 'string' ? 'text/html; charset=utf-8' : 'application/json',
    'Cache-Control': 'no-store',
    'Content-Length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(status === 204 ? undefined : text);
}

async function readForm(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > 64 * 1024) throw new Error('request entity too large');
    chunks.push(chunk);
  }
  const raw = Buffer.concat(chunks).toString('utf8');
  return { raw, form: querystring.parse(raw) };
}

function single(value) {
  return Array.isArray(value) ? undefined : value;
}

// client_secret_post or client_secret_basic, as at Keycloak's token endpoint
function clientAuthenticated(req, form) {
  let clientId = single(form.client_id);
  let secret = single(form.client_secret);
  const authorization = req.headers.authorization;
  if (authorization?.toLowerCase().startsWith('basic ')) {
    const decoded = Buffer.from(authorization.slice(6).trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon !== -1) {
      clientId = decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, '%20'));
      secret = decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, '%20'));
    }
  }
  return clientId === CLIENT_ID && secret !== undefined && safeEqual(secret, CLIENT_SECRET);
}

// Keycloak's back-channel logout: POST .../logout with client credentials and a refresh token ends
// that token's session: the grant (so every token of it) and the browser session it came from.
async function backChannelLogout(req, res, form) {
  if (!clientAuthenticated(req, form)) {
    log('logout refused: client authentication failed');
    return send(res, 401, { error: 'unauthorized_client', error_description: 'Invalid client or Invalid client credentials' });
  }
  const value = single(form.refresh_token);
  const token = value ? await provider.RefreshToken.find(value, { ignoreSessionBinding: true }) : undefined;
  if (!token || token.isExpired || token.clientId !== CLIENT_ID) {
    log('logout refused: invalid refresh token');
    return send(res, 400, { error: 'invalid_grant', error_description: 'Invalid refresh token' });
  }
  const { grantId } = token;
  await Promise.all([
    provider.AccessToken.revokeByGrantId(grantId),
    provider.RefreshToken.revokeByGrantId(grantId),
    provider.AuthorizationCode.revokeByGrantId(grantId),
    provider.Grant.adapter.destroy(grantId),
  ]);
  if (token.sessionUid) {
    const session = await provider.Session.findByUid(token.sessionUid);
    if (session) await session.destroy();
  }
  log(`logout: session ended sub=${token.accountId}`);
  return send(res, 204, '');
}

function bearerError(res, status, error, description) {
  return send(res, status, { error, error_description: description }, {
    'WWW-Authenticate': `Bearer realm="${REALM}", error="${error}", error_description="${description}"`,
  });
}

function verifyAccessToken(jwt) {
  const parts = String(jwt).split('.');
  if (parts.length !== 3) return undefined;
  let header;
  let payload;
  try {
    header = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8'));
    payload = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (header.alg !== 'RS256' || header.kid !== KID) return undefined;
  const signed = crypto.verify('sha256', Buffer.from(`${parts[0]}.${parts[1]}`), PUBLIC_KEY,
    Buffer.from(parts[2], 'base64url'));
  if (!signed) return undefined;
  const now = Math.floor(Date.now() / 1000);
  if (payload.iss !== ISSUER || typeof payload.exp !== 'number' || payload.exp <= now) return undefined;
  return payload;
}

// userinfo that accepts this peer's own JWT access tokens (Authorization: Bearer, or an
// access_token form field), while their session lasts
async function userinfo(req, res) {
  let token;
  const authorization = req.headers.authorization;
  if (authorization?.toLowerCase().startsWith('bearer ')) {
    token = authorization.slice(7).trim();
  } else if (req.method === 'POST') {
    token = single((await readForm(req)).form.access_token);
  }
  if (!token) return bearerError(res, 401, 'invalid_token', 'Token verification failed');
  const payload = verifyAccessToken(token);
  if (!payload) return bearerError(res, 401, 'invalid_token', 'Token verification failed');
  if (!payload.sid || !await sidIsActive(payload.sid)) {
    return bearerError(res, 401, 'invalid_token', 'User session not found or doesn\'t have client attached on it');
  }
  const user = userBySub(payload.sub);
  if (!user) return bearerError(res, 401, 'invalid_token', 'User not found');
  return send(res, 200, claimsOf(user));
}

// Token introspection (RFC 7662) for this peer's JWT access tokens and its refresh tokens, as
// python-keycloak's introspect() asks Keycloak.
async function introspect(req, res) {
  const { form } = await readForm(req);
  if (!clientAuthenticated(req, form)) {
    log('introspection refused: client authentication failed');
    return send(res, 401, { error: 'unauthorized_client', error_description: 'Authentication failed.' });
  }
  const value = single(form.token);
  if (!value) return send(res, 400, { error: 'invalid_request', error_description: 'Token not provided.' });
  const payload = verifyAccessToken(value);
  if (payload) {
    if (!payload.sid || !await sidIsActive(payload.sid)) return send(res, 200, { active: false });
    return send(res, 200, { ...payload, username: payload.preferred_username, token_type: 'Bearer', active: true });
  }
  const token = await provider.RefreshToken.find(value);
  if (token?.isValid && token.clientId === CLIENT_ID && await provider.Grant.find(token.grantId)) {
    const user = userBySub(token.accountId);
    return send(res, 200, {
      active: true, typ: 'Refresh', iss: ISSUER, sub: token.accountId, exp: token.exp, iat: token.iat,
      azp: token.clientId, client_id: token.clientId, sid: token.sid, scope: token.scope,
      username: user?.username, token_type: 'Refresh',
    });
  }
  return send(res, 200, { active: false });
}

// The login page of an interaction: a plain form; consent is never asked (first-party client).
function loginPage(uid, error, username = '') {
  return page(`Sign in to ${REALM}`, `<h1>Sign in to ${html(REALM)}</h1>
${error ? `<p class="error" id="input-error">${html(error)}</p>` : ''}
<form id="kc-form-login" method="post" action="${PREFIX}/login-actions/${html(uid)}">
<label for="username">Username or email</label>
<input id="username" name="username" type="text" value="${html(username)}" autocomplete="username" autofocus>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password">
<button id="kc-login" name="login" type="submit">Sign In</button>
</form>`);
}

async function interaction(req, res, uid) {
  let details;
  try {
    details = await provider.interactionDetails(req, res);
  } catch (err) {
    log(`interaction refused: ${err.message}`);
    return send(res, 400, page('Error', '<h1>We are sorry...</h1><p class="error">Your login attempt timed out. Login will start from the beginning.</p>'));
  }
  if (details.uid !== uid) {
    return send(res, 400, page('Error', '<h1>We are sorry...</h1><p class="error">Invalid login session.</p>'));
  }
  const { prompt } = details;
  if (prompt.name === 'consent') {
    // loadExistingGrant grants what is asked; whatever is still missing is granted here, unasked
    const grant = details.grantId ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: details.session.accountId, clientId: details.params.client_id });
    const { missingOIDCScope, missingOIDCClaims, missingResourceScopes } = prompt.details;
    if (missingOIDCScope) grant.addOIDCScope(missingOIDCScope.join(' '));
    if (missingOIDCClaims) grant.addOIDCClaims(missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(missingResourceScopes ?? {})) {
      grant.addResourceScope(indicator, scopes.join(' '));
    }
    const grantId = await grant.save();
    return provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
  }
  if (req.method === 'GET') return send(res, 200, loginPage(uid));
  const { form } = await readForm(req);
  const user = checkCredentials(single(form.username), single(form.password));
  if (!user) {
    log('login refused: invalid username or password');
    return send(res, 200, loginPage(uid, 'Invalid username or password.', single(form.username) ?? ''));
  }
  log(`login: sub=${user.sub}`);
  return provider.interactionFinished(req, res, { login: { accountId: user.sub } }, { mergeWithLastSubmission: false });
}

function realmInfo() {
  const der = PUBLIC_KEY.export({ type: 'spki', format: 'der' });
  return {
    realm: REALM,
    public_key: der.toString('base64'),
    'token-service': `${ISSUER}${OIDC}`,
    'account-service': `${ISSUER}/account`,
    'tokens-not-before': 0,
  };
}

// ------------------------------------------------------------------------------------------ server

const oidcCallback = provider.callback();

async function handle(req, res) {
  const url = new URL(req.url, `http://${HOST}:${PORT}`);
  const path = url.pathname;
  log(`${req.method} ${path}`);

  if (path === '/healthz') return send(res, 200, { status: 'ok' });
  if (path === PREFIX && req.method === 'GET') return send(res, 200, realmInfo());
  if (!path.startsWith(`${PREFIX}/`)) return send(res, 404, { error: 'Realm does not exist' });

  const inner = path.slice(PREFIX.length);
  const login = /^\/login-actions\/([A-Za-z0-9_-]+)$/.exec(inner);
  if (login && (req.method === 'GET' || req.method === 'POST')) return interaction(req, res, login[1]);
  if (inner === `${OIDC}/userinfo` && (req.method === 'GET' || req.method === 'POST')) return userinfo(req, res);
  if (inner === `${OIDC}/token/introspect` && req.method === 'POST') return introspect(req, res);
  if (inner === `${OIDC}/logout` && req.method === 'POST'
      && (req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
    const { form } = await readForm(req);
    if (form.refresh_token !== undefined) return backChannelLogout(req, res, form);
    // a browser's logout form: oidc-provider takes GET here (its POST needs SameSite=None cookies)
    const query = querystring.stringify(Object.fromEntries(Object.entries(form).filter(([key]) => [
      'id_token_hint', 'post_logout_redirect_uri', 'state', 'ui_locales', 'client_id', 'logout_hint'].includes(key))));
    return send(res, 303, '', { Location: `${path}${query ? `?${query}` : ''}` });
  }

  // mounted like an express sub-app: oidc-provider takes its mount path from originalUrl
  req.originalUrl = req.url;
  req.url = req.url.slice(PREFIX.length);
  return oidcCallback(req, res);
}

const server = http.createServer((req, res) => {
  handle(req, res).catch((err) => {
    log(`internal error: ${err.stack ?? err}`);
    if (!res.headersSent) send(res, 500, { error: 'server_error' });
    else res.end();
  });
});

server.listen(PORT, HOST, () => {
  log(`oidc peer ready: issuer ${ISSUER}, client ${CLIENT_ID}, ${USERS.length} users`);
});

function stop() {
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
