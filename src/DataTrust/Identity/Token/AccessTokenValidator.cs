using DataTrust.Identity.Keys;
using DataTrust.Identity.Storage;
using DataTrust.Persistence;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace DataTrust.Identity.Token;

/// <summary>An access token that verified and is live: signed by us, unexpired, unrevoked, its grant active.</summary>
internal sealed record LiveAccessToken(IssuedAccessToken Row, JsonWebToken Token);

/// <summary>
/// Checks an access token the way every resource path of DataTrust must (userinfo, introspection, the
/// brokering API): signature and type, then the database record, then the grant, so that revocation
/// takes effect at once (promise 2) rather than when the JWT expires.
/// </summary>
internal sealed class AccessTokenValidator(DataTrustDbContext db, SigningKeyStore keys, Issuer issuer, TimeProvider clock)
{
    private static readonly JsonWebTokenHandler Handler = new();

    public async Task<LiveAccessToken?> ValidateAsync(HttpContext context, string token, CancellationToken cancellationToken)
    {
        var jwt = await VerifySignatureAsync(context, token, TokenFactory.AccessTokenType, cancellationToken);
        if (jwt is null || string.IsNullOrEmpty(jwt.Id))
        {
            return null;
        }

        var now = clock.GetUtcNow();
        var row = await db.Set<IssuedAccessToken>().AsNoTracking().SingleOrDefaultAsync(t => t.Jti == jwt.Id, cancellationToken);
        if (row is null || row.RevokedAt is not null || row.ExpiresAt <= now)
        {
            return null;
        }

        if (row.GrantId is { } grantId
            && !await db.Set<Grant>().AnyAsync(g => g.Id == grantId && g.Status == GrantStatus.Active && g.ExpiresAt > now, cancellationToken))
        {
            return null;
        }

        return new LiveAccessToken(row, jwt);
    }

    /// <summary>Signature, issuer and <c>typ</c> only; lifetime and revocation are the caller's business.</summary>
    public async Task<JsonWebToken?> VerifySignatureAsync(HttpContext context, string token, string type, CancellationToken cancellationToken)
    {
        if (token.Length > 8192 || token.Count(c => c == '.') != 2)
        {
            return null;
        }

        var result = await Handler.ValidateTokenAsync(token, new TokenValidationParameters
        {
            IssuerSigningKeys = await keys.PublishedAsync(cancellationToken),
            ValidIssuer = issuer.For(context),
            ValidateAudience = false,
            ValidateLifetime = false,
            ValidTypes = [type],
            ValidAlgorithms = SigningKeyStore.Algorithms,
            RequireSignedTokens = true,
        });
        return result.IsValid ? result.SecurityToken as JsonWebToken : null;
    }
}
