using DataTrust.Identity.Protocol;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace DataTrust.Identity.Token;

/// <summary>
/// <c>grant_type=client_credentials</c> (RFC 6749 §4.4): a token for the client itself
/// (<c>sub</c> = client id), with API scopes it is registered for; all of them when it names none (§3.3).
/// </summary>
/// <remarks>
/// On PostgreSQL the token commits only if the client's row is unchanged and its standing good in the commit's
/// transaction (<see cref="IssuanceGroupCommit"/>); when that check fails the answer is <see cref="ClientChanged"/>,
/// which the token endpoint answers by deciding once more on the client read afresh.
/// </remarks>
internal sealed class ClientCredentialsGrant(
    TokenFactory tokens,
    Audiences audiences,
    Issuer issuer,
    IssuanceGroupCommit groupCommit,
    IOptions<OidcOptions> options,
    ILoggerFactory loggers)
{
    public static readonly OAuthError ClientChanged = OAuthError.InvalidClient("The client's registration changed during the request; try again.");

    public async Task<(IResult?, OAuthError?)> HandleAsync(TokenRequest request, CancellationToken cancellationToken)
    {
        var client = request.Client;
        var requested = Scopes.Parse(request.Parameters["scope"]);
        if (requested.Any(s => !client.Scopes.Contains(s, StringComparer.Ordinal)))
        {
            return (null, OAuthError.InvalidScope("The client is not registered for every requested scope."));
        }

        var scopes = requested.Count > 0 ? requested : client.Scopes;
        var (audience, audienceError) = audiences.Resolve(request.Parameters.Resources, issuer.For(request.Context));
        if (audience is null)
        {
            return (null, audienceError);
        }

        var subject = new AccessTokenSubject(client, client.ClientId, UserId: null, GrantId: null, AuthTime: null);
        var (token, row) = await tokens.UnsavedAccessTokenAsync(request.Context, subject, audience, scopes, request.Proof?.Jkt, cancellationToken);

        // The token row (what makes revocation immediate) and its audit entry commit together, grouped
        // with other requests' tokens (see IssuanceGroupCommit); the token is sent only after that commit.
        if (!await groupCommit.CommitAsync(row, new TokenIssued(client.ClientId, TokenEndpoint.ClientCredentials, GrantId: null, Resident: null), client.ReadVersion, cancellationToken))
        {
            return (null, ClientChanged);
        }

        IdentityEvents.TokenIssued(loggers.Logger(), client.ClientId, TokenEndpoint.ClientCredentials, null);
        return (TokenFactory.Response(token, row, options.Value.AccessTokenLifetime, refreshToken: null, idToken: null), null);
    }
}
