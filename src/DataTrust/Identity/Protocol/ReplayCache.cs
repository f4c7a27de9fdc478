using System.Security.Cryptography;
using System.Text;
using DataTrust.Identity.Storage;
using DataTrust.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.IdentityModel.Tokens;

namespace DataTrust.Identity.Protocol;

/// <summary>
/// Remembers one-time values in the database (never only in memory: any instance may see the replay).
/// The primary key makes "first use" atomic: the second insert of a value fails.
/// </summary>
internal sealed class ReplayCache(IDbContextFactory<DataTrustDbContext> contexts, TimeProvider clock)
{
    /// <summary>True the first time this value is seen; false when it was seen before.</summary>
    public async Task<bool> TryRememberAsync(string kind, string scope, string value, DateTimeOffset keepUntil, CancellationToken cancellationToken)
    {
        var key = kind + ":" + Base64UrlEncoder.Encode(SHA256.HashData(Encoding.UTF8.GetBytes(scope + "\n" + value)));
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            db.Add(new ReplayEntry { Key = key, ExpiresAt = keepUntil });
            try
            {
                await db.SaveChangesAsync(cancellationToken);
            }
            catch (DbUpdateException)
            {
                await using var check = await contexts.CreateDbContextAsync(cancellationToken);
                if (await check.Set<ReplayEntry>().AnyAsync(e => e.Key == key, cancellationToken))
                {
                    return false;
                }

                throw;
            }
        }

        // Expired entries can no longer match an acceptable proof; an occasional sweep keeps the table small.
        if (RandomNumberGenerator.GetInt32(64) == 0)
        {
            await using var db = await contexts.CreateDbContextAsync(cancellationToken);
            var now = clock.GetUtcNow();
            await db.Set<ReplayEntry>().Where(e => e.ExpiresAt < now).ExecuteDeleteAsync(cancellationToken);
        }

        return true;
    }
}
