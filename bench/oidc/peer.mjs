// oidc-provider (a certified OpenID provider) configured like DataTrust for the benchmarked path:
// client_credentials with client_secret_basic, ES256-signed JWT access tokens (RFC 9068 style); opaque
// tokens for the resource <issuer>/opaque, which the introspection run uses.
// It keeps its state in memory (its development adapter), so it pays no database write per token.
//
//   node peer.mjs 5481
import Provider from 'oidc-provider';
import { exportJWK, generateKeyPair } from 'jose';

const port = Number(process.argv[2] ?? 5481);
const issuer = `http://127.0.0.1:${port}`;
const jwk = async (alg) => ({ ...(await exportJWK((await generateKeyPair(alg, { extractable: true })).privateKey)), alg, use: 'sig' });

const provider = new Provider(issuer, {
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
      getResourceServerInfo: (ctx, resource) => (resource === `${issuer}/opaque`
        ? { scope: '', audience: resource, accessTokenFormat: 'opaque' }
        : { scope: '', audience: issuer, accessTokenFormat: 'jwt', jwt: { sign: { alg: 'ES256' } } }),
    },
  },
});
provider.listen(port, '127.0.0.1', () => console.log(`oidc-provider listening on ${issuer}`));
