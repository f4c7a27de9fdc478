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
