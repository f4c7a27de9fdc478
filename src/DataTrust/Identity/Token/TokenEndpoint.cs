using DataTrust.Identity.ClientAuthentication;
using DataTrust.Identity.DPoP;
using DataTrust.Identity.Protocol;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace DataTrust.Identity.Token;

/// <summary>
/// <c>POST /connect/token</c> (RFC 6749 §3.2): authenticates the client, checks the DPoP proof if any
/// (RFC 9449 §5), then hands the request to the grant it names.
/// </summary>
internal static class TokenEndpoint
{
    public const string AuthorizationCode = "authorization_code";
    public const string RefreshToken = "refresh_token";
    public const string ClientCredentials = "client_credentials";

    public static readonly string[] GrantTypes = [AuthorizationCode, RefreshToken, ClientCredentials];

    public static async Task<IResult> Handle(
        HttpContext context,
        ClientAuthenticator authenticator,
        DPoPProofValidator dpop,
        ClientCredentialsGrant clientCredentials,
        AuthorizationCodeGrant authorizationCode,
        RefreshTokenGrant refreshToken,
        IEnumerable<Clients.IClientStanding> standings,
        ILoggerFactory loggers,
        CancellationToken cancellationToken)
    {
        var logger = loggers.Logger();
        var (parameters, formError) = await RequestParameters.ReadFormAsync(context.Request, cancellationToken);
        if (parameters is null)
        {
            return Refuse(logger, null, formError!);
        }

        var (client, authError) = await authenticator.AuthenticateAsync(context, parameters, cancellationToken);
        if (client is null)
        {
            return Refuse(logger, parameters["client_id"], authError!);
        }

        var grantType = parameters["grant_type"];
        if (grantType is null)
        {
            return Refuse(logger, client.ClientId, OAuthError.InvalidRequest("grant_type is missing."));
        }

        if (!GrantTypes.Contains(grantType, StringComparer.Ordinal))
        {
            return Refuse(logger, client.ClientId, OAuthError.UnsupportedGrantType("Supported grant types: " + string.Join(", ", GrantTypes) + "."));
        }

        if (!client.GrantTypes.Contains(grantType, StringComparer.Ordinal))
        {
            return Refuse(logger, client.ClientId, OAuthError.UnauthorizedClient($"This client is not registered for {grantType}."));
        }

        foreach (var standing in standings)
        {
            if (await standing.RefusalAsync(client.ClientId, cancellationToken) is { } refusal)
            {
                return Refuse(logger, client.ClientId, OAuthError.UnauthorizedClient(refusal));
            }
        }

        var (proof, proofError) = await dpop.ValidateAsync(context, accessToken: null, cancellationToken);
        if (proofError is not null)
        {
            return Refuse(logger, client.ClientId, OAuthError.InvalidDpopProof(proofError));
        }

        if (proof is null && client.HighAssurance)
        {
            return Refuse(logger, client.ClientId, OAuthError.InvalidDpopProof("This client must send a DPoP proof (FAPI 2.0)."));
        }

        var request = new TokenRequest(context, parameters, client, proof);
        var (result, error) = grantType switch
        {
            AuthorizationCode => await authorizationCode.HandleAsync(request, cancellationToken),
            RefreshToken => await refreshToken.HandleAsync(request, cancellationToken),
            _ => await clientCredentials.HandleAsync(request, cancellationToken),
        };
        return error is null ? result! : Refuse(logger, client.ClientId, error);
    }

    private static IResult Refuse(ILogger logger, string? clientId, OAuthError error)
    {
        IdentityEvents.TokenRequestRefused(logger, clientId, error.Error);
        return error.ToResult();
    }
}
