using DataTrust.Identity.ClientAuthentication;
using DataTrust.Identity.Keys;
using DataTrust.Identity.Protocol;
using DataTrust.Identity.Storage;
using DataTrust.Identity.Token;
using DataTrust.Persistence;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace DataTrust.Identity.Revocation;

/// <summary>
/// <c>POST /connect/revoke</c> (RFC 7009). Revoking a refresh token also revokes the access tokens of
/// the same grant issued to that client (§2.1). Unknown tokens, and tokens of other clients, get the
/// same empty 200 (§2.2), so the endpoint tells nothing about tokens the caller does not hold.
/// </summary>
internal static class RevocationEndpoint
{
    public static async Task<IResult> Handle(
        HttpContext context,
        ClientAuthenticator authenticator,
        AccessTokenValidator accessTokens,
        DataTrustDbContext db,
        TimeProvider clock,
        ILoggerFactory loggers,
        CancellationToken cancellationToken)
    {
        var (parameters, formError) = await RequestParameters.ReadFormAsync(context.Request, cancellationToken);
        if (parameters is null)
        {
            return formError!.ToResult();
        }

        var (client, authError) = await authenticator.AuthenticateAsync(context, parameters, cancellationToken);
        if (client is null)
        {
            return authError!.ToResult();
        }

        if (parameters["token"] is not { } token)
        {
            return OAuthError.InvalidRequest("token is missing.").ToResult();
        }

        var now = clock.GetUtcNow();
        if (token.Contains('.', StringComparison.Ordinal))
        {
            var jwt = await accessTokens.VerifySignatureAsync(context, token, TokenFactory.AccessTokenType, cancellationToken);
            if (jwt is not null && !string.IsNullOrEmpty(jwt.Id)
                && await db.Set<IssuedAccessToken>().Where(t => t.Jti == jwt.Id && t.ClientId == client.ClientId && t.RevokedAt == null)
                    .ExecuteUpdateAsync(s => s.SetProperty(t => t.RevokedAt, now), cancellationToken) > 0)
            {
                IdentityEvents.TokenRevoked(loggers.Logger(), client.ClientId, "access_token");
            }
        }
        else
        {
            var hash = TokenHash.Of(token);
            var refresh = await db.Set<RefreshToken>().AsNoTracking().SingleOrDefaultAsync(t => t.TokenHash == hash && t.ClientId == client.ClientId, cancellationToken);
            if (refresh is not null)
            {
                await db.Set<RefreshToken>().Where(t => t.GrantId == refresh.GrantId && t.ClientId == client.ClientId && t.RevokedAt == null)
                    .ExecuteUpdateAsync(s => s.SetProperty(t => t.RevokedAt, now), cancellationToken);
                await db.Set<IssuedAccessToken>().Where(t => t.GrantId == refresh.GrantId && t.ClientId == client.ClientId && t.RevokedAt == null)
                    .ExecuteUpdateAsync(s => s.SetProperty(t => t.RevokedAt, now), cancellationToken);
                IdentityEvents.TokenRevoked(loggers.Logger(), client.ClientId, "refresh_token");
            }
        }

        OAuthError.NoStore(context.Response);
        return Results.Ok();
    }
}
