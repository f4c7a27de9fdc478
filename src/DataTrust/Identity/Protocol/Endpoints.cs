namespace DataTrust.Identity.Protocol;

/// <summary>Paths of the provider's endpoints, relative to the issuer.</summary>
internal static class Endpoints
{
    public const string Discovery = "/.well-known/openid-configuration";
    public const string OAuthMetadata = "/.well-known/oauth-authorization-server";
    public const string Jwks = "/.well-known/jwks.json";
    public const string Authorize = "/connect/authorize";
    public const string AuthorizeContinue = "/connect/authorize/continue";
    public const string Consent = "/connect/consent";
    public const string Token = "/connect/token";
    public const string PushedAuthorization = "/connect/par";
    public const string Introspection = "/connect/introspect";
    public const string Grants = "/connect/grants";
    public const string Revocation = "/connect/revoke";
    public const string UserInfo = "/connect/userinfo";
    public const string EndSession = "/connect/endsession";

    public const string RequestUriPrefix = "urn:ietf:params:oauth:request_uri:";
    public const string ClientAssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
}
