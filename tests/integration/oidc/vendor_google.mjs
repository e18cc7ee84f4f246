// Google's own clients against the Google emulator
// (tests/emulators/google_directory.py), for test_vendor_clients.py:
// google-auth-library's JWT (domain-wide delegation: subject = an admin)
// gets a token, then googleapis' admin directory_v1 lists users (paging),
// lists groups by domain and by customer, and pages a group's members.
// Whatever a vendor client cannot do fails its step.
//
// google-auth-library always posts to https://oauth2.googleapis.com/token
// (and names it as the assertion's aud); a request interceptor sends that
// one URL to the emulator's token endpoint instead.  googleapis is pointed
// at the emulator with rootUrl.
//
// Environment: KEY_FILE (the service account's JSON key), ADMIN, TOKEN_URL,
// API_URL (https://localhost:PORT), DOMAIN, OTHER_DOMAIN, GROUP (an e-mail).
// TLS trust comes from NODE_EXTRA_CA_CERTS.  Prints {steps: {name: {ok, ...}}}.
import { google } from 'googleapis';
import { JWT } from 'google-auth-library';

const env = process.env;
const steps = {};
const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';
const SCOPES = ['https://www.googleapis.com/auth/admin.directory.user.readonly',
  'https://www.googleapis.com/auth/admin.directory.group.readonly'];
const MAX_PAGES = 1000;

async function step(name, fn) {
  try {
    steps[name] = { ok: true, ...(await fn()) };
  } catch (e) {
    const body = e.response?.data ? ` body=${JSON.stringify(e.response.data)}` : '';
    steps[name] = { ok: false, status: e.status ?? e.response?.status ?? null,
                    reason: e.errors?.[0]?.reason ?? e.response?.data?.error?.errors?.[0]?.reason ?? null,
                    error: `${e.name}: ${e.message}${body}`.slice(0, 2000) };
  }
  return steps[name];
}

const auth = new JWT({ keyFile: env.KEY_FILE, scopes: SCOPES, subject: env.ADMIN });
let assertionHeader = null;
auth.transporter.interceptors.request.add({
  resolved: async (config) => {
    if (String(config.url) === GOOGLE_TOKEN_URL) {
      config.url = new URL(env.TOKEN_URL);
      const form = new URLSearchParams(String(config.data ?? config.body ?? ''));
      const a = form.get('assertion');
      if (a) assertionHeader = JSON.parse(Buffer.from(a.split('.')[0], 'base64url').toString());
    }
    return config;
  },
});

await step('token', async () => {
  const t = await auth.getAccessToken();
  if (!t.token) throw new Error('no access token');
  return { assertionHeader };
});

const admin = google.admin({ version: 'directory_v1', auth, rootUrl: `${env.API_URL}/` });

// Every page of one listing; `key` is the array in each page.
async function allPages(method, params, key) {
  const items = [];
  let pageToken;
  let pages = 0;
  do {
    if (++pages > MAX_PAGES) throw new Error('endless nextPageToken');
    const r = await method({ ...params, pageToken });
    items.push(...(r.data[key] || []));
    pageToken = r.data.nextPageToken;
  } while (pageToken);
  return { items, pages };
}

await step('users_customer', async () => {
  const { items, pages } = await allPages((p) => admin.users.list(p),
    { customer: 'my_customer', maxResults: 2 }, 'users');
  return { count: items.length, pages };
});

await step('users_domain', async () => {
  const { items } = await allPages((p) => admin.users.list(p), { domain: env.DOMAIN }, 'users');
  return { emails: items.map((u) => u.primaryEmail) };
});

await step('users_customer_and_domain', async () => {
  await admin.users.list({ customer: 'my_customer', domain: env.DOMAIN });
  return { answered: true };
});

await step('users_system_parameters', async () => {
  const r = await admin.users.list({ customer: 'my_customer', maxResults: 1, alt: 'json',
    prettyPrint: false, quotaUser: 'dirgate-test', fields: 'users(primaryEmail),nextPageToken' });
  return { emails: (r.data.users || []).map((u) => u.primaryEmail) };
});

await step('users_ordered', async () => {
  // Not emulated: must be refused, not answered in the emulator's own order.
  await admin.users.list({ customer: 'my_customer', orderBy: 'familyName', sortOrder: 'DESCENDING' });
  return { answered: true };
});

await step('groups_domain', async () => {
  const { items } = await allPages((p) => admin.groups.list(p),
    { domain: env.OTHER_DOMAIN, maxResults: 1 }, 'groups');
  return { emails: items.map((g) => g.email) };
});

await step('groups_customer', async () => {
  const { items } = await allPages((p) => admin.groups.list(p),
    { customer: 'my_customer' }, 'groups');
  return { emails: items.map((g) => g.email) };
});

await step('members', async () => {
  const { items, pages } = await allPages((p) => admin.members.list(p),
    { groupKey: env.GROUP, includeDerivedMembership: true, maxResults: 1 }, 'members');
  return { emails: items.map((m) => m.email), pages };
});

await step('unknown_group', async () => {
  await admin.members.list({ groupKey: `nobody@${env.DOMAIN}` });
  return { answered: true };
});

console.log(JSON.stringify({ steps }));
