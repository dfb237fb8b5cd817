// `npm run dev:idp`: a development OpenID provider (oidc-provider, a devDependency) for trying the
// reviewer inbox locally. Demo people with fixed demo passwords, groups mapped to Mira roles by
// DEV_ROLES_MAP (the auth.oidc.roles_map `npm run dev:inbox` configures). Never for production.
// Env: MIRA_DEV_IDP_PORT (default 3001), MIRA_DEV_PORT (Mira's port for the redirect URI, default 3000).
import { createServer } from 'node:http';
import { generateKeyPairSync } from 'node:crypto';
import { pathToFileURL, URLSearchParams } from 'node:url';

export const DEV_CLIENT_ID = 'mira-inbox-dev';
export const DEV_CLIENT_SECRET = 'dev-only-client-secret-not-for-production';
/** login -> name, groups, password (demo passwords: this provider only runs on a developer's machine). */
export const DEV_USERS = {
  sam: {
    name: 'Sam Submitter',
    groups: ['programme-managers'],
    password: 'sam-demo-pass',
    role: 'submitter',
  },
  alice: { name: 'Alice Approver', groups: ['finance-leads'], password: 'alice-demo-pass', role: 'approver' },
  bob: { name: 'Bob Approver', groups: ['finance-leads'], password: 'bob-demo-pass', role: 'approver' },
  dana: { name: 'Dana Auditor', groups: ['internal-audit'], password: 'dana-demo-pass', role: 'auditor' },
};
export const DEV_ROLES_MAP = {
  'programme-managers': ['submitter'],
  'finance-leads': ['approver'],
  'internal-audit': ['auditor'],
};

export function refuseProduction(what) {
  if ((process.env.NODE_ENV ?? '').trim().toLowerCase() === 'production') {
    process.stderr.write(`${what} is a development tool and refuses to run with NODE_ENV=production.\n`);
    process.exit(1);
  }
}

export function devPorts(env = process.env) {
  const port = (name, fallback) => {
    const v = Number(env[name] ?? fallback);
    if (!Number.isInteger(v) || v < 1 || v > 65535) {
      process.stderr.write(`${name} must be a port number (1-65535), got "${env[name]}".\n`);
      process.exit(1);
    }
    return v;
  };
  return { idp: port('MIRA_DEV_IDP_PORT', 3001), mira: port('MIRA_DEV_PORT', 3000) };
}

/** Reads a form body; the provider then parses the copy left on req.body. */
function readForm(req) {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d) => (body += d));
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });
}

export async function startDevIdp({ idpPort, miraPort }) {
  const { default: Provider } = await import('oidc-provider');
  const issuer = `http://127.0.0.1:${idpPort}`;
  const mira = `http://127.0.0.1:${miraPort}`;
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'dev-1', alg: 'RS256', use: 'sig' };
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: DEV_CLIENT_ID,
        client_secret: DEV_CLIENT_SECRET,
        redirect_uris: [`${mira}/inbox/callback`],
        post_logout_redirect_uris: [`${mira}/inbox`],
        grant_types: ['authorization_code'],
        response_types: ['code'],
      },
    ],
    jwks: { keys: [jwk] },
    cookies: { keys: ['dev-idp-cookie-key'] },
    claims: { openid: ['sub'], profile: ['name', 'preferred_username'], groups: ['groups'] },
    scopes: ['openid', 'profile', 'groups'],
    conformIdTokenClaims: false,
    findAccount: (_ctx, id) => {
      const user = DEV_USERS[id];
      if (!user) return undefined;
      return {
        accountId: id,
        claims: () => ({ sub: id, preferred_username: id, name: user.name, groups: user.groups }),
      };
    },
    // Consent is implied (the company's own app): the login form is the only screen.
    loadExistingGrant: async (ctx) => {
      const grant = new ctx.oidc.provider.Grant({
        clientId: ctx.oidc.client.clientId,
        accountId: ctx.oidc.session.accountId,
      });
      grant.addOIDCScope('openid profile groups');
      await grant.save();
      return grant;
    },
    features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
    pkce: { required: () => true },
  });
  const callback = provider.callback();
  // The provider's development login form accepts any password: check the demo password first.
  const server = createServer(async (req, res) => {
    if (req.method === 'POST' && /^\/interaction\/[^/]+$/.test(req.url ?? '')) {
      const raw = await readForm(req);
      const form = new URLSearchParams(raw);
      if (form.get('prompt') === 'login') {
        const user = DEV_USERS[form.get('login') ?? ''];
        if (!user || user.password !== form.get('password')) {
          res.writeHead(401, { 'content-type': 'text/html; charset=utf-8' });
          res.end(
            `<!doctype html><title>Sign-in failed</title><p>Unknown demo user or wrong password.</p>` +
              `<p><a href="${req.url}">Try again</a></p>`,
          );
          return;
        }
      }
      req.body = raw;
    }
    callback(req, res);
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(idpPort, '127.0.0.1', resolve);
  });
  return {
    issuer,
    close: () =>
      new Promise((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

async function main() {
  refuseProduction('npm run dev:idp');
  const ports = devPorts();
  const idp = await startDevIdp({ idpPort: ports.idp, miraPort: ports.mira });
  const lines = [
    `dev OpenID provider listening on ${idp.issuer} (client ${DEV_CLIENT_ID}, redirect http://127.0.0.1:${ports.mira}/inbox/callback)`,
    'demo users (login / password / Mira role):',
    ...Object.entries(DEV_USERS).map(
      ([login, u]) => `  ${login.padEnd(6)} ${u.password.padEnd(16)} ${u.role}`,
    ),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  const stop = () => void idp.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((err) => {
    process.stderr.write(`dev:idp failed to start: ${err.message}\n`);
    process.exit(1);
  });
}
