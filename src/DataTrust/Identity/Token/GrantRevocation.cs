using DataTrust.Audit;
using DataTrust.Identity.Storage;
using DataTrust.Persistence;
using Microsoft.EntityFrameworkCore;

namespace DataTrust.Identity.Token;

/// <summary>
/// Revokes a grant: every code, access token and refresh token issued under it stops working at once,
/// because the token paths check the grant's status on every use (promise 2).
/// </summary>
internal static class GrantRevocation
{
    /// <returns>1 when this call revoked it, 0 when it was already revoked.</returns>
    public static Task<int> RevokeAsync(DataTrustDbContext db, Guid grantId, string reason, DateTimeOffset now, CancellationToken cancellationToken) =>
        db.Set<Grant>()
            .Where(g => g.Id == grantId && g.Status == GrantStatus.Active)
            .ExecuteUpdateAsync(
                s => s.SetProperty(g => g.Status, GrantStatus.Revoked).SetProperty(g => g.RevokedAt, now).SetProperty(g => g.RevokedReason, reason),
                cancellationToken);

    /// <summary>
    /// A replayed code or reused refresh token means it leaked (RFC 6749 §4.1.2, RFC 9700 §4.5, §4.14): the
    /// grant is revoked, so whoever used it first loses what they got, and the revocation commits with its
    /// audit entry (inside the caller's transaction if it has one).
    /// </summary>
    public static async Task RevokeForReplayAsync(
        DataTrustDbContext db, IAuditLog audit, ReplayKind kind, string clientId, Guid grantId, Guid residentId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var transaction = db.Database.CurrentTransaction;
        await using var owned = transaction is null ? await db.Database.BeginTransactionAsync(cancellationToken) : null;
        var reason = kind == ReplayKind.AuthorizationCode ? "code_replayed" : "refresh_token_reused";
        var revoked = await RevokeAsync(db, grantId, reason, now, cancellationToken) > 0;
        await audit.AppendAsync(db, new CredentialReplayed(clientId, kind, grantId, residentId, revoked), cancellationToken);
        await (transaction ?? owned!).CommitAsync(cancellationToken);
    }
}

/// <summary>
/// Revokes everything a client holds: its grants, its access tokens (client_credentials ones too) and
/// its refresh tokens, e.g. when a data recipient is suspended. Runs in the caller's transaction.
/// </summary>
internal static class ClientRevocation
{
    public static async Task RevokeAllAsync(DataTrustDbContext db, string clientId, string reason, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await db.Set<Grant>()
            .Where(g => g.ClientId == clientId && g.Status == GrantStatus.Active)
            .ExecuteUpdateAsync(
                s => s.SetProperty(g => g.Status, GrantStatus.Revoked).SetProperty(g => g.RevokedAt, now).SetProperty(g => g.RevokedReason, reason),
                cancellationToken);
        await db.Set<IssuedAccessToken>()
            .Where(t => t.ClientId == clientId && t.RevokedAt == null && t.ExpiresAt > now)
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.RevokedAt, now), cancellationToken);
        await db.Set<RefreshToken>()
            .Where(t => t.ClientId == clientId && t.RevokedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.RevokedAt, now), cancellationToken);
    }
}
