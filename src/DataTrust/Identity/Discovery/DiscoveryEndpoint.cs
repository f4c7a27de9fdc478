using System.Text.Json.Nodes;
using DataTrust.Identity.ClientAuthentication;
using DataTrust.Identity.DPoP;
using DataTrust.Identity.Keys;
using DataTrust.Identity.Protocol;
using DataTrust.Identity.Token;
using Microsoft.AspNetCore.Http;

namespace DataTrust.Identity.Discovery;

/// <summary>
/// <c>/.well-known/openid-configuration</c> (OIDC Discovery §3) and
/// <c>/.well-known/oauth-authorization-server</c> (RFC 8414 §2): what this provider implements, and
/// nothing it does not.
/// </summary>
internal static class DiscoveryEndpoint
{
    public static IResult Handle(HttpContext context, Issuer issuer)
    {
        var iss = issuer.For(context);
        string[] authMethods = [.. ClientAuthenticator.Methods];
        string[] confidentialMethods = [.. ClientAuthenticator.Methods.Where(m => m != ClientAuthenticator.None)];
        var document = new JsonObject
        {
            ["issuer"] = iss,
            ["authorization_endpoint"] = iss + Endpoints.Authorize,
            ["token_endpoint"] = iss + Endpoints.Token,
            ["userinfo_endpoint"] = iss + Endpoints.UserInfo,
            ["jwks_uri"] = iss + Endpoints.Jwks,
            ["pushed_authorization_request_endpoint"] = iss + Endpoints.PushedAuthorization,
            ["require_pushed_authorization_requests"] = false,
            ["introspection_endpoint"] = iss + Endpoints.Introspection,
            ["revocation_endpoint"] = iss + Endpoints.Revocation,
            ["end_session_endpoint"] = iss + Endpoints.EndSession,
            ["scopes_supported"] = Array([.. Scopes.OpenIdConnect, .. Scopes.Api]),
            ["response_types_supported"] = Array(["code"]),
            ["response_modes_supported"] = Array(["query"]),
            ["grant_types_supported"] = Array(TokenEndpoint.GrantTypes),
            ["subject_types_supported"] = Array(["pairwise"]),
            ["id_token_signing_alg_values_supported"] = Array(SigningKeyStore.Algorithms),
            ["token_endpoint_auth_methods_supported"] = Array(authMethods),
            ["token_endpoint_auth_signing_alg_values_supported"] = Array(ClientAuthenticator.AssertionAlgorithms),
            ["introspection_endpoint_auth_methods_supported"] = Array(confidentialMethods),
            ["introspection_endpoint_auth_signing_alg_values_supported"] = Array(ClientAuthenticator.AssertionAlgorithms),
            ["revocation_endpoint_auth_methods_supported"] = Array(authMethods),
            ["revocation_endpoint_auth_signing_alg_values_supported"] = Array(ClientAuthenticator.AssertionAlgorithms),
            ["code_challenge_methods_supported"] = Array([Pkce.S256]),
            ["dpop_signing_alg_values_supported"] = Array(DPoPProofValidator.Algorithms),
            ["authorization_response_iss_parameter_supported"] = true,
            ["grant_management_endpoint"] = iss + Endpoints.Grants,
            ["grant_management_actions_supported"] = Array(GrantManagement.GrantManagementEndpoint.Actions),
            ["authorization_details_types_supported"] = Array([Authorize.ConsentAuthorizationDetail.Type]),
            ["prompt_values_supported"] = Array(["none", "login", "consent"]),
            ["claims_supported"] = Array(["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "at_hash", "sid", "name", "locale", "email", "email_verified"]),
            ["ui_locales_supported"] = Array(["ja", "en"]),
            ["claims_parameter_supported"] = false,
            ["request_parameter_supported"] = false,
            // OIDC Discovery's default for this is true; DataTrust takes request_uri only from its own PAR endpoint.
            ["request_uri_parameter_supported"] = false,
        };
        context.Response.Headers.CacheControl = "public, max-age=300";
        return Results.Text(document.ToJsonString(), "application/json; charset=utf-8");
    }

    private static JsonArray Array(IEnumerable<string> values) => new([.. values.Select(v => (JsonNode)v)]);
}
