using System.Security.Cryptography;
using DataTrust.Audit.Events;
using DataTrust.Persistence;
using DataTrust.Vault.Crypto;
using DataTrust.Vault.Keys;
using DataTrust.Vault.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace DataTrust.Vault.Rotation;

/// <summary>
/// Data key rotation for one resident: a new data key version, every record re-encrypted under it, the old
/// versions deleted. Idempotent and resumable: it is defined by the version being retired
/// (<c>supersededVersion</c>: that one and all older ones), so running it again after a crash neither makes
/// another key nor re-encrypts twice; a job handler keeps that number in its payload.
/// </summary>
internal sealed class DataKeyRotation(
    IDbContextFactory<DataTrustDbContext> contexts,
    ResidentDataKeys dataKeys,
    IOptions<VaultOptions> options,
    VaultKeyAudit keyAudit,
    ILogger<DataKeyRotation> logger)
{
    /// <summary>Rotates away from the resident's current data key version. Null when the resident has no data key.</summary>
    public async Task<DataKeyRotationResult?> RotateCurrentAsync(Guid residentId, IProgress<RotationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var current = await ResidentDataKeys.CurrentAsync(db, residentId, cancellationToken);
        return current is null ? null : await RotateAsync(residentId, current.Version, progress, cancellationToken);
    }

    /// <summary>Re-encrypts the resident's records under a version newer than <paramref name="supersededVersion"/> and deletes that version and older ones.</summary>
    public Task<DataKeyRotationResult> RotateAsync(Guid residentId, int supersededVersion, IProgress<RotationProgress>? progress = null, CancellationToken cancellationToken = default) =>
        RotateAsync(AuditActor.System("vault/dek-rotation"), residentId, supersededVersion, progress, cancellationToken);

    /// <summary>Rotates, then records one <c>key.rotated</c> entry for the run when it re-encrypted or retired anything.</summary>
    public async Task<DataKeyRotationResult> RotateAsync(AuditActor actor, Guid residentId, int supersededVersion, IProgress<RotationProgress>? progress, CancellationToken cancellationToken)
    {
        // Chunks never exceed the per-key limit, so a reservation always fits in a fresh key.
        var chunkSize = (int)Math.Min(options.Value.RotationBatchSize, options.Value.MaxEncryptionsPerDataKey);
        int total;
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            var current = await ResidentDataKeys.CurrentAsync(db, residentId, cancellationToken);
            if (current is not null && current.Version <= supersededVersion)
            {
                await dataKeys.TryCreateAsync(db, residentId, supersededVersion + 1, cancellationToken);
            }

            total = await Pending(db, residentId, supersededVersion).CountAsync(cancellationToken);
        }

        var reencrypted = 0;
        var unreadable = new HashSet<Guid>();
        progress?.Report(new RotationProgress(0, total));
        while (true)
        {
            await using var db = await contexts.CreateDbContextAsync(cancellationToken);
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            var batch = await Pending(db, residentId, supersededVersion).AsNoTracking()
                .OrderBy(r => r.Id).Take(chunkSize + unreadable.Count).ToListAsync(cancellationToken);
            batch.RemoveAll(r => unreadable.Contains(r.Id));
            if (batch.Count == 0)
            {
                break;
            }

            using var newKey = await dataKeys.ReserveAsync(db, residentId, batch.Count, createFirst: false, cancellationToken);
            if (newKey is null)
            {
                break; // the resident was erased meanwhile: nothing left to re-encrypt
            }

            var oldKeys = new Dictionary<int, UnwrappedDataKey?>();
            try
            {
                foreach (var record in batch)
                {
                    if (!oldKeys.TryGetValue(record.DataKeyVersion, out var oldKey))
                    {
                        var row = await ResidentDataKeys.FindAsync(db, residentId, record.DataKeyVersion, cancellationToken);
                        oldKeys[record.DataKeyVersion] = oldKey = row is null ? null : dataKeys.TryUnwrap(row);
                    }

                    if (oldKey is null || !await ReencryptAsync(db, record, oldKey, newKey, cancellationToken))
                    {
                        unreadable.Add(record.Id);
                        continue;
                    }

                    reencrypted++;
                }
            }
            finally
            {
                foreach (var key in oldKeys.Values)
                {
                    key?.Dispose();
                }
            }

            await transaction.CommitAsync(cancellationToken);
            progress?.Report(new RotationProgress(Math.Min(total, reencrypted + unreadable.Count), total));
        }

        int retired;
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            var records = db.Set<VaultRecord>();
            retired = await db.Set<VaultDataKey>()
                .Where(k => k.ResidentId == residentId && k.Version <= supersededVersion &&
                            !records.Any(r => r.ResidentId == residentId && r.DataKeyVersion == k.Version))
                .ExecuteDeleteAsync(cancellationToken);
        }

        if (unreadable.Count > 0)
        {
            logger.LogWarning("Data key rotation: {Unreadable} record(s) could not be decrypted and keep their old data key.", unreadable.Count);
        }

        if (reencrypted > 0 || retired > 0)
        {
            await keyAudit.RecordAsync(
                new KeyOperation(actor, VaultKeyAudit.DataKeyKind, $"dek-v{supersededVersion + 1}", KeyOperationKind.Rotated, residentId), cancellationToken);
        }

        return new DataKeyRotationResult(supersededVersion, reencrypted, unreadable.Count, retired);
    }

    private static IQueryable<VaultRecord> Pending(DataTrustDbContext db, Guid residentId, int supersededVersion) =>
        db.Set<VaultRecord>().Where(r => r.ResidentId == residentId && r.DataKeyVersion <= supersededVersion);

    private static async Task<bool> ReencryptAsync(DataTrustDbContext db, VaultRecord record, UnwrappedDataKey oldKey, UnwrappedDataKey newKey, CancellationToken cancellationToken)
    {
        var plaintext = VaultStore.TryDecrypt(record, oldKey.Key);
        if (plaintext is null)
        {
            return false;
        }

        EncryptedPayload encrypted;
        try
        {
            encrypted = RecordCipher.Encrypt(newKey.Key, plaintext,
                RecordCipher.AssociatedData(record.ResidentId, record.Id, newKey.Version, record.SchemaVersion, record.CategoryId));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }

        var oldVersion = record.DataKeyVersion;
        var newVersion = newKey.Version;
        // Only if the record is still as read: a concurrent delete or rotation wins, and that is fine.
        await db.Set<VaultRecord>()
            .Where(r => r.Id == record.Id && r.DataKeyVersion == oldVersion)
            .ExecuteUpdateAsync(set => set
                .SetProperty(r => r.DataKeyVersion, newVersion)
                .SetProperty(r => r.Nonce, encrypted.Nonce)
                .SetProperty(r => r.Ciphertext, encrypted.Ciphertext)
                .SetProperty(r => r.Tag, encrypted.Tag), cancellationToken);
        return true;
    }
}

/// <param name="SupersededVersion">Data key versions up to this one were retired.</param>
/// <param name="Reencrypted">Records re-encrypted by this run.</param>
/// <param name="Unreadable">Records that failed to decrypt and so keep their old data key (which then stays).</param>
/// <param name="RetiredDataKeys">Old data key versions deleted by this run.</param>
internal sealed record DataKeyRotationResult(int SupersededVersion, int Reencrypted, int Unreadable, int RetiredDataKeys);
