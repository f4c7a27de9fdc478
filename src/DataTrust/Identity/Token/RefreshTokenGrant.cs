using DataTrust.Audit;
using DataTrust.Identity.ClientAuthentication;
using DataTrust.Identity.Clients;
using DataTrust.Identity.Protocol;
using DataTrust.Identity.Storage;
using DataTrust.Identity.Subjects;
using DataTrust.Persistence;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace DataTrust.Identity.Token;

/// <summary>
/// <c>grant_type=refresh_token</c> (RFC 6749 §6). RFC 9700 §4.14.2: a public client's refresh token
/// is sender-constrained by DPoP when it was issued with a proof, and rotates on every use; presenting
/// a rotated one again revokes the whole grant. A confidential client's refresh token is bound to its
/// client authentication and does not rotate.
/// </summary>
internal sealed class RefreshTokenGrant(
    DataTrustDbContext db,
    TokenFactory tokens,
    PairwiseSubjects subjects,
    IAuditLog audit,
    TimeProvider clock,
    IOptions<OidcOptions> options,
    ILoggerFactory loggers)
{
    /// <summary>
    /// A refresh token goes to a client registered for the refresh_token grant that asked for
    /// <c>offline_access</c> (OIDC Core §11), or to a plain OAuth client (no <c>openid</c>).
    /// </summary>
    public static bool MayIssue(Client client, IReadOnlyList<string> scopes) =>
        client.GrantTypes.Contains(TokenEndpoint.RefreshToken, StringComparer.Ordinal)
        && (scopes.Contains(Scopes.OfflineAccess, StringComparer.Ordinal) || !scopes.Contains(Scopes.OpenId, StringComparer.Ordinal));

    public async Task<(IResult?, OAuthError?)> HandleAsync(TokenRequest request, CancellationToken cancellationToken)
    {
        var client = request.Client;
        if (request.Parameters["refresh_token"] is not { } presented)
        {
            return (null, OAuthError.InvalidRequest("refresh_token is missing."));
        }

        var now = clock.GetUtcNow();
        var hash = TokenHash.Of(presented);
        var stored = await db.Set<RefreshToken>().AsNoTracking().SingleOrDefaultAsync(t => t.TokenHash == hash, cancellationToken);
        if (stored is null || stored.ClientId != client.ClientId || stored.RevokedAt is not null || stored.ExpiresAt <= now)
        {
            return (null, OAuthError.InvalidGrant("The refresh token is invalid, expired, revoked, or was issued to another client."));
        }

        if (stored.RotatedAt is not null)
        {
            return (null, await ReusedAsync(stored, now, cancellationToken));
        }

        if (stored.DpopJkt is not null && request.Proof?.Jkt != stored.DpopJkt)
        {
            return (null, OAuthError.InvalidDpopProof("This refresh token is bound to a DPoP key: send a proof signed with it."));
        }

        var requested = Scopes.Parse(request.Parameters["scope"]);
        if (requested.Any(s => !stored.Scopes.Contains(s, StringComparer.Ordinal)))
        {
            return (null, OAuthError.InvalidScope("A refreshed token may only narrow the scopes originally granted."));
        }

        var grant = await db.Set<Grant>().AsNoTracking().SingleAsync(g => g.Id == stored.GrantId, cancellationToken);
        if (!grant.IsActive(now))
        {
            return (null, OAuthError.InvalidGrant("The resident's grant has been revoked or has expired."));
        }

        var rotates = client.TokenEndpointAuthMethod == ClientAuthenticator.None;
        var scopes = requested.Count > 0 ? requested : stored.Scopes;
        var subjectId = await subjects.SubjectAsync(client, stored.UserId, cancellationToken);
        var jkt = request.Proof?.Jkt;
        var subject = new AccessTokenSubject(client, subjectId, stored.UserId, stored.GrantId, stored.AuthTime);
        var (accessToken, row) = await tokens.AccessTokenAsync(request.Context, subject, stored.Audience, scopes, jkt, cancellationToken);
        var idToken = scopes.Contains(Scopes.OpenId, StringComparer.Ordinal)
            ? await tokens.IdTokenAsync(request.Context, client, subjectId, stored.AuthTime, nonce: null, stored.SessionId, accessToken, cancellationToken)
            : null;
        var refreshToken = rotates
            ? tokens.RefreshToken(new RefreshToken
            {
                GrantId = stored.GrantId,
                ClientId = client.ClientId,
                UserId = stored.UserId,
                Scopes = stored.Scopes,
                Audience = stored.Audience,
                DpopJkt = stored.DpopJkt,
                AuthTime = stored.AuthTime,
                SessionId = stored.SessionId,
            })
            : null;

        // The rotation, the new rows and the audit entry commit together.
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        if (rotates)
        {
            var won = await db.Set<RefreshToken>()
                .Where(t => t.Id == stored.Id && t.RotatedAt == null)
                .ExecuteUpdateAsync(s => s.SetProperty(t => t.RotatedAt, now), cancellationToken);
            if (won == 0)
            {
                db.ChangeTracker.Clear();
                return (null, await ReusedAsync(stored, now, cancellationToken));
            }
        }

        await db.SaveChangesAsync(cancellationToken);
        await audit.AppendAsync(db, new TokenIssued(client.ClientId, TokenEndpoint.RefreshToken, stored.GrantId, stored.UserId), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        IdentityEvents.TokenIssued(loggers.Logger(), client.ClientId, TokenEndpoint.RefreshToken, stored.GrantId);
        return (TokenFactory.Response(accessToken, row, options.Value.AccessTokenLifetime, refreshToken, idToken), null);
    }

    private async Task<OAuthError> ReusedAsync(RefreshToken stored, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await GrantRevocation.RevokeForReplayAsync(db, audit, ReplayKind.RefreshToken, stored.ClientId, stored.GrantId, stored.UserId, now, cancellationToken);
        IdentityEvents.RefreshTokenReused(loggers.Logger(), stored.ClientId, stored.GrantId);
        return OAuthError.InvalidGrant("The refresh token was already used; the grant is revoked.");
    }
}
