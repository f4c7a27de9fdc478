using DataTrust.Audit;
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
/// <c>grant_type=authorization_code</c> (RFC 6749 §4.1.3, OIDC Core §3.1.3): the code must belong to
/// this client, be unexpired and unused, name the same redirect URI, and answer its PKCE challenge. A
/// second use of a code revokes its grant, and with it every token issued from the first use. The code's
/// redemption, the new token rows and the audit entry commit together.
/// </summary>
internal sealed class AuthorizationCodeGrant(
    DataTrustDbContext db,
    TokenFactory tokens,
    PairwiseSubjects subjects,
    IAuditLog audit,
    TimeProvider clock,
    IOptions<OidcOptions> options,
    ILoggerFactory loggers)
{
    public async Task<(IResult?, OAuthError?)> HandleAsync(TokenRequest request, CancellationToken cancellationToken)
    {
        var parameters = request.Parameters;
        var client = request.Client;
        if (parameters["code"] is not { } code)
        {
            return (null, OAuthError.InvalidRequest("code is missing."));
        }

        if (parameters["redirect_uri"] is not { } redirectUri)
        {
            return (null, OAuthError.InvalidRequest("redirect_uri is missing."));
        }

        var now = clock.GetUtcNow();
        var hash = TokenHash.Of(code);
        var stored = await db.Set<AuthorizationCode>().AsNoTracking().SingleOrDefaultAsync(c => c.CodeHash == hash, cancellationToken);
        if (stored is null)
        {
            return (null, OAuthError.InvalidGrant("The authorization code is invalid."));
        }

        if (stored.RedeemedAt is not null)
        {
            return (null, await ReplayedAsync(stored, now, cancellationToken));
        }

        if (stored.ClientId != client.ClientId || stored.ExpiresAt <= now || stored.RedirectUri != redirectUri)
        {
            return (null, OAuthError.InvalidGrant("The authorization code is invalid, expired, or was issued for another client or redirect URI."));
        }

        if (!Pkce.Matches(parameters["code_verifier"], stored.CodeChallenge))
        {
            return (null, OAuthError.InvalidGrant("code_verifier is missing or does not match the code_challenge."));
        }

        if (stored.DpopJkt is not null && request.Proof?.Jkt != stored.DpopJkt)
        {
            return (null, OAuthError.InvalidDpopProof("The DPoP key differs from the dpop_jkt of the authorization request."));
        }

        var grant = await db.Set<Grant>().AsNoTracking().SingleAsync(g => g.Id == stored.GrantId, cancellationToken);
        if (!grant.IsActive(now))
        {
            return (null, OAuthError.InvalidGrant("The resident's grant has been revoked or has expired."));
        }

        // Tokens are signed before the transaction opens (Data Protection may unwrap a key on first use).
        var subjectId = await subjects.SubjectAsync(client, stored.UserId, cancellationToken);
        var jkt = request.Proof?.Jkt;
        var subject = new AccessTokenSubject(client, subjectId, stored.UserId, stored.GrantId, stored.AuthTime);
        var (accessToken, row) = await tokens.AccessTokenAsync(request.Context, subject, stored.Audience, stored.Scopes, jkt, cancellationToken);
        var idToken = stored.Scopes.Contains(Scopes.OpenId, StringComparer.Ordinal)
            ? await tokens.IdTokenAsync(request.Context, client, subjectId, stored.AuthTime, stored.Nonce, stored.SessionId, accessToken, cancellationToken)
            : null;
        string? refreshToken = null;
        if (RefreshTokenGrant.MayIssue(client, stored.Scopes))
        {
            refreshToken = tokens.RefreshToken(new RefreshToken
            {
                GrantId = stored.GrantId,
                ClientId = client.ClientId,
                UserId = stored.UserId,
                Scopes = stored.Scopes,
                Audience = stored.Audience,
                DpopJkt = request.IsPublicClient ? jkt : null,
                AuthTime = stored.AuthTime,
                SessionId = stored.SessionId,
            });
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);

        // Single use across instances: only the request that flips redeemed_at wins.
        var won = await db.Set<AuthorizationCode>()
            .Where(c => c.CodeHash == hash && c.RedeemedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.RedeemedAt, now), cancellationToken);
        if (won == 0)
        {
            db.ChangeTracker.Clear();
            return (null, await ReplayedAsync(stored, now, cancellationToken));
        }

        await db.SaveChangesAsync(cancellationToken);
        await audit.AppendAsync(db, new TokenIssued(client.ClientId, TokenEndpoint.AuthorizationCode, stored.GrantId, stored.UserId), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        IdentityEvents.TokenIssued(loggers.Logger(), client.ClientId, TokenEndpoint.AuthorizationCode, stored.GrantId);
        return (TokenFactory.Response(accessToken, row, options.Value.AccessTokenLifetime, refreshToken, idToken, grant), null);
    }

    private async Task<OAuthError> ReplayedAsync(AuthorizationCode stored, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await GrantRevocation.RevokeForReplayAsync(db, audit, ReplayKind.AuthorizationCode, stored.ClientId, stored.GrantId, stored.UserId, now, cancellationToken);
        IdentityEvents.AuthorizationCodeReplayed(loggers.Logger(), stored.ClientId, stored.GrantId);
        return OAuthError.InvalidGrant("The authorization code was already used; the tokens issued for it are revoked.");
    }
}
