// Microsoft's own clients against the Entra stand-in (provider.mjs) and the
// Graph emulator (tests/emulators/graph.py), for test_vendor_clients.py:
// @azure/msal-node gets an app-only token with a certificate, then
// @microsoft/microsoft-graph-client lists users (following @odata.nextLink
// with PageIterator), finds a group by $filter and pages its
// transitiveMembers.  Whatever a vendor client cannot do fails its step.
//
// Environment: AUTHORITY (https://127.0.0.1:PORT/TENANT), CLIENT_ID,
// CERT_FILE, KEY_FILE, THUMBPRINT ("sha256": PS256 + x5t#S256, "sha1":
// RS256 + x5t), GRAPH_URL (https://127.0.0.1:PORT), GROUP (display name),
// PAGE (the $top to ask for).  TLS trust comes from NODE_EXTRA_CA_CERTS.
// Prints one JSON object: {steps: {name: {ok, ...}}}.
import fs from 'node:fs';
import crypto from 'node:crypto';
import { ConfidentialClientApplication } from '@azure/msal-node';
import { Client, PageIterator } from '@microsoft/microsoft-graph-client';

const env = process.env;
const steps = {};

async function step(name, fn) {
  try {
    steps[name] = { ok: true, ...(await fn()) };
  } catch (e) {
    const body = e.body ? ` body=${typeof e.body === 'string' ? e.body : JSON.stringify(e.body)}` : '';
    steps[name] = { ok: false, error: `${e.name || 'Error'}: ${e.errorCode || e.code || ''} ${e.message}${body}`.slice(0, 2000) };
  }
  return steps[name];
}

function headerOf(jwt) {
  return JSON.parse(Buffer.from(jwt.split('.')[0], 'base64url').toString());
}

const certPem = fs.readFileSync(env.CERT_FILE, 'utf8');
const der = new crypto.X509Certificate(certPem).raw;
const algo = env.THUMBPRINT === 'sha1' ? 'sha1' : 'sha256';
const thumb = crypto.createHash(algo).update(der).digest('hex');
const clientCertificate = { privateKey: fs.readFileSync(env.KEY_FILE, 'utf8') };
clientCertificate[algo === 'sha1' ? 'thumbprint' : 'thumbprintSha256'] = thumb;

// msal-node's network module, on Node's fetch, so the assertion msal sends
// can be looked at on its way out (the request itself is msal's).
let sentHeader = null;
async function send(url, options, method) {
  const r = await fetch(url, { method, headers: options?.headers, body: options?.body });
  const text = await r.text();
  let body;
  try { body = JSON.parse(text); } catch { body = text; }
  return { headers: Object.fromEntries(r.headers), body, status: r.status };
}
const networkClient = {
  sendGetRequestAsync: (url, options) => send(url, options, 'GET'),
  sendPostRequestAsync: (url, options) => {
    const a = new URLSearchParams(options?.body || '').get('client_assertion');
    if (a) sentHeader = headerOf(a);
    return send(url, options, 'POST');
  },
};

let token = null;
await step('msal_token', async () => {
  const cca = new ConfidentialClientApplication({
    auth: {
      clientId: env.CLIENT_ID, authority: env.AUTHORITY, clientCertificate,
      knownAuthorities: [new URL(env.AUTHORITY).host],
    },
    system: { networkClient },
  });
  const r = await cca.acquireTokenByClientCredential({ scopes: ['https://graph.microsoft.com/.default'] });
  token = r.accessToken;
  return { tokenType: r.tokenType, assertionHeader: sentHeader };
});

const graph = Client.init({
  authProvider: (done) => (token ? done(null, token) : done(new Error('no token from msal'), null)),
  baseUrl: env.GRAPH_URL,
  customHosts: new Set([new URL(env.GRAPH_URL).hostname]),
  defaultVersion: 'v1.0',
});

async function iterateAll(first) {
  const items = [];
  let pages = 1;
  const it = new PageIterator(graph, first, (x) => { items.push(x); return true; });
  const origFetch = it.fetchAndUpdateNextPageData.bind(it);
  it.fetchAndUpdateNextPageData = async () => { pages += 1; if (pages > 1000) throw new Error('endless nextLink'); return origFetch(); };
  await it.iterate();
  return { items, pages };
}

await step('users_paged', async () => {
  const first = await graph.api('/users')
    .select(['id', 'userPrincipalName', 'mail', 'proxyAddresses', 'accountEnabled', 'assignedPlans'])
    .top(Number(env.PAGE || 2)).get();
  const { items, pages } = await iterateAll(first);
  return { count: items.length, pages, upns: items.map((u) => u.userPrincipalName) };
});

await step('users_count', async () => {
  // Graph's advanced query: $count with ConsistencyLevel: eventual.
  const r = await graph.api('/users').header('ConsistencyLevel', 'eventual').count(true)
    .select('id').top(1).get();
  return { count: r['@odata.count'] };
});

await step('users_count_plain', async () => {
  try {
    await graph.api('/users').count(true).select('id').top(1).get();
  } catch (e) {
    return { statusCode: e.statusCode, code: e.code };
  }
  throw new Error('$count without ConsistencyLevel was answered');
});

let groupId = null;
await step('group_by_name', async () => {
  const name = env.GROUP.replace(/'/g, "''");
  const r = await graph.api('/groups').filter(`displayName eq '${name}'`).select(['id', 'displayName']).get();
  groupId = r.value[0]?.id;
  return { ids: r.value.map((g) => g.id) };
});

await step('transitive_members', async () => {
  const first = await graph.api(`/groups/${groupId}/transitiveMembers`)
    .select(['id', 'userPrincipalName', 'displayName']).top(1).get();
  const { items, pages } = await iterateAll(first);
  return { count: items.length, pages, types: items.map((m) => m['@odata.type']) };
});

await step('unknown_group_error', async () => {
  try {
    await graph.api('/groups/00000000-0000-4000-8000-000000000000/transitiveMembers').get();
  } catch (e) {
    return { statusCode: e.statusCode, code: e.code, requestId: e.requestId ?? null };
  }
  throw new Error('a missing group was not refused');
});

console.log(JSON.stringify({ steps }));
