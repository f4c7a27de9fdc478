using DataTrust.Identity.Storage;
using DataTrust.Persistence;
using Microsoft.EntityFrameworkCore;

namespace DataTrust.Identity.Maintenance;

/// <summary>
/// Deletes protocol records that can no longer be used: a periodic job's body (the durable job table
/// schedules it). Codes and access-token records stay a day past expiry, so a late replay of a code is
/// still recognised and answered by revoking its grant; rotated refresh tokens stay until they would
/// have expired, for reuse detection. Grants are consent history and are never purged here.
/// </summary>
internal sealed class ExpiredProtocolRecords(IDbContextFactory<DataTrustDbContext> contexts, TimeProvider clock)
{
    private static readonly TimeSpan ReplayWindow = TimeSpan.FromDays(1);

    public async Task<int> PurgeAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var keepUntil = now - ReplayWindow;
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var deleted = await db.Set<AuthorizationRequest>().Where(r => r.ExpiresAt < now).ExecuteDeleteAsync(cancellationToken);
        deleted += await db.Set<AuthorizationCode>().Where(c => c.ExpiresAt < keepUntil).ExecuteDeleteAsync(cancellationToken);
        deleted += await db.Set<IssuedAccessToken>().Where(t => t.ExpiresAt < keepUntil).ExecuteDeleteAsync(cancellationToken);
        deleted += await db.Set<RefreshToken>().Where(t => t.ExpiresAt < now).ExecuteDeleteAsync(cancellationToken);
        deleted += await db.Set<ReplayEntry>().Where(e => e.ExpiresAt < now).ExecuteDeleteAsync(cancellationToken);
        return deleted;
    }
}
