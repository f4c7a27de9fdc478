// oidc-provider (a certified OpenID provider) configured like DataTrust for the benchmarked path:
// client_credentials with client_secret_basic, ES256-signed JWT access tokens (RFC 9068 style); opaque
// tokens for the resource <issuer>/opaque, which the introspection run uses.
// Without a connection string it keeps its state in memory (its development adapter) and stores no JWT
// access token at all, so it pays no database write per token and cannot revoke one. With a PostgreSQL
// connection string it is configured as DataTrust is: every access token is opaque, a committed row
// (pg-adapter.mjs), revocable, and introspection reads it from the database.
//
//   node peer.mjs 5481 [postgresql://…]
import Provider from 'oidc-provider';
import { exportJWK, generateKeyPair } from 'jose';
import { postgresAdapter } from './pg-adapter.mjs';

const port = Number(process.argv[2] ?? 5481);
const database = process.argv[3];
const issuer = `http://127.0.0.1:${port}`;
const jwk = async (alg) => ({ ...(await exportJWK((await generateKeyPair(alg, { extractable: true })).privateKey)), alg, use: 'sig' });

const provider = new Provider(issuer, {
  ...(database ? { adapter: await postgresAdapter(database) } : {}),
  clients: [{
    client_id: 'bench-client',
    client_secret: 'bench-secret',
    grant_types: ['client_credentials'],
    redirect_uris: [],
    response_types: [],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  jwks: { keys: [await jwk('RS256'), await jwk('ES256')] },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => issuer,
      useGrantedResource: () => true,
      // oidc-provider cannot introspect JWT access tokens, so the introspection run asks for an opaque one.
      getResourceServerInfo: (ctx, resource) => (database || resource === `${issuer}/opaque`
        ? { scope: '', audience: resource, accessTokenFormat: 'opaque' }
        : { scope: '', audience: issuer, accessTokenFormat: 'jwt', jwt: { sign: { alg: 'ES256' } } }),
    },
  },
});
provider.listen(port, '127.0.0.1', () => console.log(`oidc-provider listening on ${issuer}`));
