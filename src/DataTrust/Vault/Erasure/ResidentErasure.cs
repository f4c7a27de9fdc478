using DataTrust.Persistence;
using DataTrust.Vault.Keys;
using DataTrust.Vault.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace DataTrust.Vault.Erasure;

/// <summary>
/// Crypto-shredding of one resident: deletes every version of their data key and all their records, and
/// leaves a receipt without their id. Runs inside the caller's context and transaction (so consent
/// revocation and the audit entry commit with it).
/// <para>
/// What this does not reach by itself: copies of the database made before it (backups, replicas, PostgreSQL
/// dead tuples and WAL archives) still hold the wrapped data key. Those become unreadable when every
/// key-encryption key version up to <see cref="ErasureReceipt.KekVersionAtErasure"/> is destroyed, after
/// <c>datatrust keys rotate-kek</c> has moved all live data keys to a newer version (docs/vault-keys.md).
/// </para>
/// </summary>
internal sealed class ResidentErasure(KeyRingProvider keyRing, TimeProvider time, ILogger<ResidentErasure> logger)
{
    public async Task<ErasureReceipt> EraseResidentKeysAsync(DataTrustDbContext db, Guid residentId, CancellationToken cancellationToken = default)
    {
        if (db.IsSqlite)
        {
            // Overwrite freed pages with zeros, so the deleted rows do not linger in the database file.
            await db.Database.ExecuteSqlRawAsync("PRAGMA secure_delete = ON", cancellationToken);
        }

        var keys = db.Set<VaultDataKey>().Where(k => k.ResidentId == residentId);
        var newestKek = await keys.MaxAsync(k => (int?)k.KekVersion, cancellationToken) ?? 0;
        var records = await db.Set<VaultRecord>().Where(r => r.ResidentId == residentId).ExecuteDeleteAsync(cancellationToken);
        var dataKeys = await keys.ExecuteDeleteAsync(cancellationToken);

        var erasure = new VaultErasure
        {
            Id = Guid.CreateVersion7(time.GetUtcNow()),
            ErasedAt = time.GetUtcNow(),
            // A copy from before now holds this resident's key under one of the versions up to this one.
            KekVersionAtErasure = Math.Max(keyRing.Ring.CurrentVersion, newestKek),
            DataKeysDestroyed = dataKeys,
            RecordsDeleted = records,
        };
        db.Add(erasure);
        await db.SaveChangesAsync(cancellationToken);
        db.Entry(erasure).State = EntityState.Detached;

        logger.LogInformation(
            "Erasure {ErasureId}: {DataKeys} data key version(s) destroyed and {Records} record(s) deleted; earlier database copies stay readable until KEK versions up to {KekVersion} are destroyed.",
            erasure.Id, dataKeys, records, erasure.KekVersionAtErasure);
        return new ErasureReceipt(erasure.Id, erasure.ErasedAt, erasure.KekVersionAtErasure, dataKeys, records);
    }
}

/// <summary>What an erasure destroyed, and which KEK versions must be destroyed before earlier database copies are unreadable too.</summary>
internal sealed record ErasureReceipt(Guid Id, DateTimeOffset ErasedAt, int KekVersionAtErasure, int DataKeysDestroyed, int RecordsDeleted);
