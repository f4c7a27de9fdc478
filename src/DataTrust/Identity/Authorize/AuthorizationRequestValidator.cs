using System.Globalization;
using DataTrust.Identity.Clients;
using DataTrust.Identity.Protocol;
using DataTrust.Identity.Token;

namespace DataTrust.Identity.Authorize;

/// <summary>
/// Validates the parameters of an authorization request (RFC 6749 §4.1.1, OIDC Core §3.1.2.1, RFC 7636,
/// RFC 9700 §2.1) once client and redirect URI are known to be good. Used by the authorization endpoint
/// and by PAR, which answer the same checks in different ways.
/// </summary>
internal sealed class AuthorizationRequestValidator(Audiences audiences)
{
    private static readonly string[] PromptValues = ["none", "login", "consent"];

    /// <summary>RFC 9700 §4.1.3: exact string comparison, no normalisation.</summary>
    public static bool IsRegisteredRedirect(Client client, string? redirectUri) =>
        redirectUri is not null && client.RedirectUris.Contains(redirectUri, StringComparer.Ordinal);

    public (AuthorizationParameters? Request, string? Error, string? Description) Validate(Client client, RequestParameters parameters, string issuer)
    {
        if (parameters.Repeated is { } repeated)
        {
            return Fail("invalid_request", $"The parameter '{repeated}' appears more than once.");
        }

        if (parameters.Has("request"))
        {
            return Fail("request_not_supported", "Request objects are not supported; use pushed authorization requests.");
        }

        if (parameters.Has("registration"))
        {
            return Fail("registration_not_supported", "The registration parameter is not supported.");
        }

        var responseType = parameters["response_type"];
        if (responseType is null)
        {
            return Fail("invalid_request", "response_type is missing.");
        }

        if (responseType != "code")
        {
            // RFC 9700 §2.1.2: the implicit and hybrid flows are not offered.
            return Fail("unsupported_response_type", "Only response_type=code is supported.");
        }

        if (parameters["response_mode"] is { } mode && mode != "query")
        {
            return Fail("invalid_request", "Only response_mode=query is supported.");
        }

        if (!client.GrantTypes.Contains(TokenEndpoint.AuthorizationCode, StringComparer.Ordinal))
        {
            return Fail("unauthorized_client", "This client is not registered for the authorization code flow.");
        }

        var scope = parameters["scope"] ?? "";
        if (!Scopes.IsWellFormed(scope))
        {
            return Fail("invalid_scope", "The scope is malformed.");
        }

        var scopes = Scopes.Parse(scope);
        if (scopes.Any(s => !Scopes.OpenIdConnect.Contains(s, StringComparer.Ordinal) && !client.Scopes.Contains(s, StringComparer.Ordinal)))
        {
            return Fail("invalid_scope", "The request names a scope this client may not use.");
        }

        if (scopes.Contains(Scopes.OfflineAccess, StringComparer.Ordinal) && !client.GrantTypes.Contains(TokenEndpoint.RefreshToken, StringComparer.Ordinal))
        {
            return Fail("invalid_scope", "offline_access needs a client registered for refresh tokens.");
        }

        var challenge = parameters["code_challenge"];
        if (challenge is null)
        {
            return Fail("invalid_request", "code_challenge is required (PKCE, RFC 7636).");
        }

        if (parameters["code_challenge_method"] != Pkce.S256)
        {
            // A missing method means plain (RFC 7636 §4.3), which RFC 9700 §2.1.1 rules out.
            return Fail("invalid_request", "code_challenge_method must be S256.");
        }

        if (challenge.Length != 43 || !Pkce.IsWellFormed(challenge))
        {
            return Fail("invalid_request", "code_challenge must be the base64url SHA-256 of the code_verifier.");
        }

        var prompt = Scopes.Parse(parameters["prompt"]);
        if (prompt.Any(p => !PromptValues.Contains(p, StringComparer.Ordinal)) || (prompt.Contains("none", StringComparer.Ordinal) && prompt.Count > 1))
        {
            return Fail("invalid_request", "prompt may be none (alone), login or consent.");
        }

        int? maxAge = null;
        if (parameters["max_age"] is { } maxAgeText)
        {
            if (!int.TryParse(maxAgeText, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
            {
                return Fail("invalid_request", "max_age must be a non-negative number of seconds.");
            }

            maxAge = seconds;
        }

        if (parameters["nonce"] is { Length: > 512 } || parameters["state"] is { Length: > 2048 } || parameters["login_hint"] is { Length: > 256 })
        {
            return Fail("invalid_request", "nonce, state or login_hint is too long.");
        }

        var dpopJkt = parameters["dpop_jkt"];
        if (dpopJkt is { Length: not 43 })
        {
            return Fail("invalid_request", "dpop_jkt must be a base64url SHA-256 JWK thumbprint.");
        }

        var (audience, audienceError) = audiences.Resolve(parameters.Resources, issuer);
        if (audience is null)
        {
            return Fail(audienceError!.Error, audienceError.Description);
        }

        return (new AuthorizationParameters(
            client.ClientId,
            parameters["redirect_uri"]!,
            scopes,
            parameters["state"],
            parameters["nonce"],
            challenge,
            prompt,
            maxAge,
            parameters["login_hint"],
            parameters["ui_locales"],
            audience,
            dpopJkt), null, null);
    }

    private static (AuthorizationParameters?, string?, string?) Fail(string error, string description) => (null, error, description);
}
