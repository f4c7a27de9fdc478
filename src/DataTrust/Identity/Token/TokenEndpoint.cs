using DataTrust.Identity.ClientAuthentication;
using DataTrust.Identity.Clients;
using DataTrust.Identity.DPoP;
using DataTrust.Identity.Protocol;
using DataTrust.Persistence;
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
        DataTrustDbContext db,
        ClientAuthenticator authenticator,
        DPoPProofValidator dpop,
        ClientCredentialsGrant clientCredentials,
        AuthorizationCodeGrant authorizationCode,
        RefreshTokenGrant refreshToken,
        IEnumerable<IClientStanding> standings,
        ILoggerFactory loggers,
        CancellationToken cancellationToken)
    {
        var logger = loggers.Logger();
        var (parameters, formError) = await RequestParameters.ReadFormAsync(context.Request, cancellationToken);
        if (parameters is null)
        {
            return Refuse(logger, null, formError!);
        }

        // On PostgreSQL a client_credentials token commits only if the client's row and standing are still as
        // decided on (IssuanceGroupCommit), so the decision may start from the client as last read.
        var grantType = parameters["grant_type"];
        var checkedAtCommit = grantType == ClientCredentials && !db.IsSqlite;
        var (client, authError) = await authenticator.AuthenticateAsync(context, parameters, checkedAtCommit ? ClientLookup.CacheFirst : ClientLookup.Database, cancellationToken);
        if (client is null)
        {
            return Refuse(logger, parameters["client_id"], authError!);
        }

        if (grantType is null)
        {
            return Refuse(logger, client.ClientId, OAuthError.InvalidRequest("grant_type is missing."));
        }

        if (!GrantTypes.Contains(grantType, StringComparer.Ordinal))
        {
            return Refuse(logger, client.ClientId, OAuthError.UnsupportedGrantType("Supported grant types: " + string.Join(", ", GrantTypes) + "."));
        }

        var (proof, proofError) = await dpop.ValidateAsync(context, accessToken: null, cancellationToken);
        if (proofError is not null)
        {
            return Refuse(logger, client.ClientId, OAuthError.InvalidDpopProof(proofError));
        }

        var error = await RefusalAsync(client, grantType, proof, checkedAtCommit ? [] : standings, db, cancellationToken);
        var (result, grantError) = error is null ? await GrantAsync(new TokenRequest(context, parameters, client, proof)) : (null, error);
        if (checkedAtCommit && grantError is not null)
        {
            // Decided on the client as last read, whose row may have changed since: a token its commit refused
            // (ClientChanged), or a refusal (a scope or grant added just now). Decide once more on the row as it is
            // now; a second change meanwhile answers ClientChanged.
            (client, authError) = await authenticator.AuthenticateAsync(context, parameters, ClientLookup.Database, cancellationToken);
            if (client is null)
            {
                return Refuse(logger, parameters["client_id"], authError!);
            }

            error = await RefusalAsync(client, grantType, proof, standings, db, cancellationToken);
            (result, grantError) = error is null ? await GrantAsync(new TokenRequest(context, parameters, client, proof)) : (null, error);
        }

        return grantError is null ? result! : Refuse(logger, client.ClientId, grantError);

        async Task<(IResult?, OAuthError?)> GrantAsync(TokenRequest request) => grantType switch
        {
            AuthorizationCode => await authorizationCode.HandleAsync(request, cancellationToken),
            RefreshToken => await refreshToken.HandleAsync(request, cancellationToken),
            _ => await clientCredentials.HandleAsync(request, cancellationToken),
        };
    }

    /// <summary>Why this client may not use the grant now (not registered for it, refused by a standing, no DPoP proof though it must send one); null when it may.</summary>
    private static async Task<OAuthError?> RefusalAsync(
        Client client, string grantType, DPoPProof? proof, IEnumerable<IClientStanding> standings, DataTrustDbContext db, CancellationToken cancellationToken)
    {
        if (!client.GrantTypes.Contains(grantType, StringComparer.Ordinal))
        {
            return OAuthError.UnauthorizedClient($"This client is not registered for {grantType}.");
        }

        foreach (var standing in standings)
        {
            if (await standing.RefusalAsync(db, client.ClientId, cancellationToken) is { } refusal)
            {
                return OAuthError.UnauthorizedClient(refusal);
            }
        }

        return proof is null && client.HighAssurance ? OAuthError.InvalidDpopProof("This client must send a DPoP proof (FAPI 2.0).") : null;
    }

    private static IResult Refuse(ILogger logger, string? clientId, OAuthError error)
    {
        IdentityEvents.TokenRequestRefused(logger, clientId, error.Error);
        return error.ToResult();
    }
}
