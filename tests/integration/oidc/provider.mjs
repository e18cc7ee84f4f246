// panva/oidc-provider (unmodified, from npm) on 127.0.0.1 with TLS, in one
// of two modes, for dirgate's integration tests:
//
//   MODE=entra  the Entra ID v2.0 token endpoint of one tenant:
//               issuer https://127.0.0.1:PORT/TENANT/v2.0,
//               token  https://127.0.0.1:PORT/TENANT/oauth2/v2.0/token,
//               keys   https://127.0.0.1:PORT/TENANT/discovery/v2.0/keys.
//               Client CLIENT_ID authenticates with private_key_jwt, its
//               public JWK taken from the certificate CLIENT_CERT.  Requests
//               for another tenant get Entra's tenant errors (90002 for an
//               unknown, 900023 for a malformed tenant).  oidc-provider's own
//               refusals are passed on in Entra's dialect (error_codes), so
//               the tool's mapping of AADSTS codes is exercised end to end;
//               the decision to refuse stays oidc-provider's.  The one rule
//               added here is Entra's: the assertion's x5t#S256 (or, without
//               it, x5t) header must name the registered certificate
//               (oidc-provider selects keys by kid).  PS256 and RS256
//               assertions are both accepted, as Entra accepts both.
//   MODE=adfs   AD FS: issuer https://127.0.0.1:PORT/adfs, discovery at
//               /adfs/.well-known/openid-configuration, token endpoint with
//               the trailing slash, scopes openid profile allatclaims.
//
// Environment: PORT, TLS_DIR (server.crt, server.key), MODE, TENANT,
// CLIENT_ID, CLIENT_CERT, ENTRA_ALGS ("RS256": refuse PS256 assertions),
// TOKEN_TTL (seconds, default 3600), ADFS_CLIENT_ID,
// ADFS_REDIRECT_URI, ADFS_SCOPES (space-separated; default openid profile
// allatclaims email), ADFS_KEYS (a fault: "garbage" or "none" serves a
// signing-key set that is not JSON or holds no key; "missing" answers 404).
// Prints "READY <issuer>" when listening; every grant error goes to stderr
// with oidc-provider's real reason, and so does every client assertion's
// header ("assertion {header, status}").
import https from 'node:https';
import fs from 'node:fs';
import crypto from 'node:crypto';
import Provider from 'oidc-provider';

const HOST = '127.0.0.1';
const PORT = Number(process.env.PORT || 9443);
const MODE = process.env.MODE || 'entra';
const TLS = process.env.TLS_DIR || './tls';
const TENANT = process.env.TENANT || '015b1e55-614a-4fea-a7ff-59a9f85ebb1a';
const TTL = Number(process.env.TOKEN_TTL || 3600);
const GRAPH = 'https://graph.microsoft.com';

const signingKey = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
Object.assign(signingKey, { kid: `${MODE}-signing-1`, use: 'sig', alg: 'RS256' });

// The app's certificate as a client key.  No "alg": Entra verifies an
// assertion signed with PS256 (RSASSA-PSS, what its certificate-credentials
// page asks for) as well as one signed with RS256 by the same key.
function certJwk(file) {
  const jwk = new crypto.X509Certificate(fs.readFileSync(file)).publicKey.export({ format: 'jwk' });
  return { ...jwk, use: 'sig' };
}

function entraConfig() {
  return {
    prefix: `/${TENANT}`,
    issuer: `https://${HOST}:${PORT}/${TENANT}`,
    clients: [{
      client_id: process.env.CLIENT_ID, token_endpoint_auth_method: 'private_key_jwt',
      jwks: { keys: [certJwk(process.env.CLIENT_CERT)] },
      // ENTRA_ALGS=RS256: a token endpoint that verifies RS256 only (as
      // Entra did before it learnt PS256), for dirgate's fallback.
      ...(process.env.ENTRA_ALGS === 'RS256' ? { token_endpoint_auth_signing_alg: 'RS256' } : {}),
      grant_types: ['client_credentials'], response_types: [], redirect_uris: [],
    }],
    scopes: [`${GRAPH}/.default`],
    resource: GRAPH,
    resourceScope: `${GRAPH}/.default`,
    routes: { token: '/oauth2/v2.0/token', jwks: '/discovery/v2.0/keys', authorization: '/oauth2/v2.0/authorize' },
  };
}

function adfsConfig() {
  return {
    prefix: '/adfs',
    issuer: `https://${HOST}:${PORT}/adfs`,
    clients: [{
      client_id: process.env.ADFS_CLIENT_ID || '5b8e8a4c-1f6e-4d7a-9c3b-2e1f0a9b8c7d',
      token_endpoint_auth_method: 'none', grant_types: ['authorization_code'],
      response_types: ['code'], redirect_uris: [process.env.ADFS_REDIRECT_URI || 'https://archive.example.com:8462/oidc/signin'],
    }],
    scopes: (process.env.ADFS_SCOPES || 'openid profile allatclaims email').split(' '),
    resource: 'urn:microsoft:userinfo',
    resourceScope: 'openid profile allatclaims',
    routes: { authorization: '/oauth2/authorize/', token: '/oauth2/token/', jwks: '/discovery/keys',
              userinfo: '/userinfo', end_session: '/oauth2/logout' },
    discovery: { access_token_issuer: `http://${HOST}/adfs/services/trust` },
  };
}

const cfg = MODE === 'adfs' ? adfsConfig() : entraConfig();

const provider = new Provider(cfg.issuer, {
  clients: cfg.clients,
  jwks: { keys: [signingKey] },
  scopes: cfg.scopes,
  claims: { openid: ['sub'], profile: ['name', 'upn', 'unique_name'] },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: MODE === 'entra' },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => cfg.resource,
      useGrantedResource: () => true,
      getResourceServerInfo: (ctx, resource) => ({
        scope: cfg.resourceScope, audience: resource, accessTokenFormat: 'jwt', accessTokenTTL: TTL,
        jwt: { sign: { alg: 'RS256' } },
      }),
    },
  },
  routes: cfg.routes,
  discovery: cfg.discovery || {},
  // Entra puts the tenant and app into access tokens; Graph (our emulator)
  // checks them.
  formats: { customizers: { jwt(ctx, token, jwt) {
    if (MODE === 'entra') Object.assign(jwt.payload, { tid: TENANT, appid: token.clientId, roles: ['Directory.Read.All'] });
  } } },
});

// The real reason behind oidc-provider's generic "client authentication
// failed", for the Entra dialect and for the test log.
let lastReason = '';
provider.on('grant.error', (ctx, err) => {
  lastReason = [err.error_detail, err.cause?.message].filter(Boolean).join(': ') || err.message;
  console.error('grant.error', err.name, lastReason);
});
provider.on('server_error', (ctx, err) => console.error('server_error', err));

// oidc-provider's refusal reason -> the AADSTS code Entra sends for it.
function aadsts(reason) {
  if (/^client not found/.test(reason)) return 700016;
  if (/^jwt (expired|not active yet)|"(exp|nbf|iat)" claim/.test(reason)) return 700024;
  if (/signature verification failed|no applicable key/.test(reason)) return 700027;
  return 0;
}

function entraError(res, status, code, text) {
  const body = {
    error: { 700016: 'unauthorized_client', 90002: 'invalid_request', 900023: 'invalid_request' }[code] || 'invalid_client',
    error_description: `AADSTS${code}: ${text}\r\nTrace ID: 00000000-0000-0000-0000-000000000000`,
    error_codes: [code], timestamp: new Date().toISOString(),
    trace_id: '00000000-0000-0000-0000-000000000000', correlation_id: '00000000-0000-0000-0000-000000000000',
  };
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
}

const GUID = /^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$/i;
const DNS = /^([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}$/i;

// Requests for a tenant this fixture is not: Entra's tenant errors.
function otherTenant(req, res) {
  const seg = decodeURIComponent(req.url.split('/')[1] || '');
  if (!GUID.test(seg) && !DNS.test(seg))
    return entraError(res, 400, 900023, `Specified tenant identifier '${seg}' is neither a valid DNS name, nor a valid external domain.`);
  return entraError(res, 400, 90002, `Tenant '${seg}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`);
}

// Passes oidc-provider's answer through; for a refused token request in
// Entra mode, re-words the error the way Entra would (error_codes).
function entraDialect(req, res) {
  if (MODE !== 'entra' || req.method !== 'POST') return;
  const writeHead = res.writeHead.bind(res);
  const end = res.end.bind(res);
  let status = 200;
  res.writeHead = (s, ...rest) => { status = s; return res.headersSent ? res : writeHead(s, ...rest); };
  res.end = (chunk, ...rest) => {
    const st = res.statusCode || status;
    if (st === 400 || st === 401) {
      let parsed = {};
      try { parsed = JSON.parse(String(chunk)); } catch { /* not JSON: pass on */ }
      const code = parsed.error === 'invalid_client' ? aadsts(lastReason) : 0;
      if (code) {
        res.removeHeader('content-length');
        const text = { 700016: `Application was not found in the directory '${TENANT}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant.`,
                       700024: 'Client assertion is not within its valid time range.',
                       700027: `Client assertion failed signature validation. [Reason - ${lastReason}]` }[code];
        res.end = end; res.writeHead = writeHead;
        return entraError(res, st === 401 ? 401 : 400, code, text);
      }
    }
    return end(chunk, ...rest);
  };
}

// Entra finds the certificate by the assertion's thumbprint header:
// x5t#S256 (base64url SHA-256 of the DER certificate, what PS256 assertions
// carry) when present, else x5t (base64url SHA-1, the older RS256 form);
// oidc-provider picks keys by kid and ignores both.  A token it issued for
// an assertion whose thumbprint names no registered certificate is taken
// back here and refused as Entra refuses it.
function thumbprintOf(file, algo) {
  return crypto.createHash(algo).update(new crypto.X509Certificate(fs.readFileSync(file)).raw)
    .digest('base64url');
}
const CLIENT_PRINTS = MODE === 'entra'
  ? { 'x5t#S256': thumbprintOf(process.env.CLIENT_CERT, 'sha256'), x5t: thumbprintOf(process.env.CLIENT_CERT, 'sha1') }
  : {};
// [header name, value] of the thumbprint Entra goes by.
function assertionThumbprint(assertion) {
  const head = assertionHeader(assertion);
  const name = 'x5t#S256' in head ? 'x5t#S256' : 'x5t';
  return [name, head[name]];
}
function assertionHeader(assertion) {
  try {
    return JSON.parse(Buffer.from(String(assertion).split('.')[0], 'base64url').toString());
  } catch { return {}; }
}
function refuseUnknownThumbprint(ctx) {
  const [name, print] = assertionThumbprint(ctx.oidc.body?.client_assertion);
  if (print === CLIENT_PRINTS[name]) return;
  lastReason = `no applicable key: the assertion's ${name} ${print === undefined ? '(none)' : `"${print}"`} names no certificate of the app`;
  console.error('grant.error', 'InvalidClientAuth', lastReason);
  ctx.status = 401;
  ctx.body = { error: 'invalid_client', error_description: 'client authentication failed' };
}
provider.use(async (ctx, next) => {
  await next();
  if (MODE !== 'entra' || ctx.oidc?.route !== 'token') return;
  if (ctx.status === 200) refuseUnknownThumbprint(ctx);
  // Every assertion's JOSE header and the final answer, for the tests.
  const header = assertionHeader(ctx.oidc.body?.client_assertion);
  console.error('assertion', JSON.stringify({ header, status: ctx.status }));
});

const cb = provider.callback();

// A faulty signing-key set, for the AD FS probe's ADFS010 (oidc-provider
// always serves its keys well).
function faultyKeys(req, res) {
  const fault = process.env.ADFS_KEYS;
  if (MODE !== 'adfs' || !fault || req.url.split('?')[0] !== `${cfg.prefix}${cfg.routes.jwks}`)
    return false;
  const [status, body] = { garbage: [200, '<html>Service Unavailable</html>'], none: [200, '{"keys":[]}'],
                           missing: [404, '{"error":"not_found"}'] }[fault];
  res.writeHead(status, { 'content-type': 'application/json' }).end(body);
  return true;
}
const server = https.createServer({ key: fs.readFileSync(`${TLS}/server.key`), cert: fs.readFileSync(`${TLS}/server.crt`) }, (req, res) => {
  const p = cfg.prefix;
  if (faultyKeys(req, res)) return;
  // Entra's v2.0 discovery lives under /TENANT/v2.0/ (where Microsoft's
  // clients, msal-node among them, look for it); oidc-provider serves its
  // own at /TENANT/.well-known/.
  if (MODE === 'entra' && req.url.split('?')[0] === `${p}/v2.0/.well-known/openid-configuration`)
    req.url = `${p}/.well-known/openid-configuration`;
  if (req.url === p || req.url.startsWith(p + '/') || req.url.startsWith(p + '?')) {
    req.originalUrl = req.url;          // absolute URLs keep the mount path
    req.url = req.url.slice(p.length) || '/';
    entraDialect(req, res);
    return cb(req, res);
  }
  if (MODE === 'entra' && /\/oauth2\/v2\.0\/token$/.test(req.url.split('?')[0])) return otherTenant(req, res);
  res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not_found"}');
});
server.listen(PORT, HOST, () => console.log(`READY ${cfg.issuer}`));
process.on('SIGTERM', () => { server.close(() => process.exit(0)); server.closeAllConnections(); });
