using System.Xml.Linq;
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
/// KEK rotation: rewraps every data key that is not under the current KEK version. Records are untouched:
/// their ciphertext depends on the data key, not on the KEK. Safe to run again at any time and from any
/// instance: it only looks at data keys still under another version, and commits batch by batch, so after
/// a crash it continues where it stopped. Once it reports nothing left, older KEK versions can be destroyed.
/// </summary>
internal sealed class KeyEncryptionKeyRotation(
    IDbContextFactory<DataTrustDbContext> contexts,
    KeyRingProvider keyRing,
    IOptions<VaultOptions> options,
    VaultKeyAudit keyAudit,
    ILogger<KeyEncryptionKeyRotation> logger)
{
    /// <summary>Data keys that fail to unwrap under a KEK version that is present are skipped and counted; past this many the rotation stops.</summary>
    private const int MaxUnreadable = 1000;

    public Task<KekRotationResult> RewrapAllAsync(IProgress<RotationProgress>? progress = null, CancellationToken cancellationToken = default) =>
        RewrapAllAsync(AuditActor.System("vault/kek-rotation"), progress, cancellationToken);

    /// <summary>Rewraps, then records one <c>key.rotated</c> entry for the run when it rewrapped anything.</summary>
    public async Task<KekRotationResult> RewrapAllAsync(AuditActor actor, IProgress<RotationProgress>? progress, CancellationToken cancellationToken)
    {
        var ring = keyRing.Ring;
        var target = ring.CurrentVersion;
        var available = ring.Versions.ToList();
        var batchSize = options.Value.RotationBatchSize;

        int total, underMissingVersions;
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            var pending = db.Set<VaultDataKey>().Where(k => k.KekVersion != target);
            total = await pending.CountAsync(k => available.Contains(k.KekVersion), cancellationToken);
            underMissingVersions = await pending.CountAsync(k => !available.Contains(k.KekVersion), cancellationToken);
        }

        var rewrapped = 0;
        var unreadable = new HashSet<(Guid ResidentId, int Version)>();
        progress?.Report(new RotationProgress(0, total));
        while (true)
        {
            await using var db = await contexts.CreateDbContextAsync(cancellationToken);
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);

            // Rewrapped keys leave this selection, so no cursor is needed; the few unreadable ones stay and are skipped.
            var batch = await db.Set<VaultDataKey>().AsNoTracking()
                .Where(k => k.KekVersion != target && available.Contains(k.KekVersion))
                .OrderBy(k => k.ResidentId).ThenBy(k => k.Version)
                .Take(batchSize + unreadable.Count)
                .ToListAsync(cancellationToken);
            batch.RemoveAll(k => unreadable.Contains((k.ResidentId, k.Version)));
            if (batch.Count == 0)
            {
                break;
            }

            foreach (var key in batch)
            {
                var rewrap = Rewrap(ring, key);
                if (rewrap is null)
                {
                    unreadable.Add((key.ResidentId, key.Version));
                    continue;
                }

                var oldKek = key.KekVersion;
                // Only if nobody changed it meanwhile (another rotation, an erasure): otherwise it is not ours to write.
                rewrapped += await db.Set<VaultDataKey>()
                    .Where(k => k.ResidentId == key.ResidentId && k.Version == key.Version && k.KekVersion == oldKek)
                    .ExecuteUpdateAsync(set => set.SetProperty(k => k.WrappedKey, rewrap).SetProperty(k => k.KekVersion, target), cancellationToken);
            }

            await transaction.CommitAsync(cancellationToken);
            progress?.Report(new RotationProgress(Math.Min(total, rewrapped + unreadable.Count), total));
            if (unreadable.Count > MaxUnreadable)
            {
                break;
            }
        }

        if (unreadable.Count > 0 || underMissingVersions > 0)
        {
            logger.LogWarning(
                "KEK rotation to version {KekVersion}: {Unreadable} data key(s) failed to unwrap and {Missing} are under KEK versions not in the ring; they were not rewrapped.",
                target, unreadable.Count, underMissingVersions);
        }

        var protectionKeys = await ReencryptDataProtectionKeysAsync(ring, cancellationToken);
        logger.LogInformation(
            "KEK rotation to version {KekVersion} rewrapped {Rewrapped} data key(s) and re-encrypted {ProtectionKeys} Data Protection key(s).",
            target, rewrapped, protectionKeys);
        if (rewrapped + protectionKeys > 0)
        {
            await keyAudit.RecordAsync(new KeyOperation(actor, VaultKeyAudit.KekKind, VaultKeyAudit.KekId(target), KeyOperationKind.Rotated), cancellationToken);
        }

        return new KekRotationResult(target, rewrapped, unreadable.Count, underMissingVersions, protectionKeys);
    }

    /// <summary>The Data Protection keys under an older KEK version (a handful: one is made every 90 days), in one transaction.</summary>
    private async Task<int> ReencryptDataProtectionKeysAsync(KeyEncryptionKeyRing ring, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var reencrypted = 0;
        foreach (var key in await db.Set<DataProtectionKey>().AsNoTracking().ToListAsync(cancellationToken))
        {
            if (DataProtectionKeyCipher.Reencrypted(ring, XElement.Parse(key.Xml)) is { } fresh)
            {
                var old = key.Xml;
                // Only if nobody changed it meanwhile (another rotation): otherwise it is not ours to write.
                reencrypted += await db.Set<DataProtectionKey>()
                    .Where(k => k.Id == key.Id && k.Xml == old)
                    .ExecuteUpdateAsync(set => set.SetProperty(k => k.Xml, fresh.ToString(SaveOptions.DisableFormatting)), cancellationToken);
            }
        }

        await transaction.CommitAsync(cancellationToken);
        return reencrypted;
    }

    private static byte[]? Rewrap(KeyEncryptionKeyRing ring, VaultDataKey key)
    {
        Span<byte> dataKey = stackalloc byte[DataKeyWrap.DataKeySize];
        try
        {
            return DataKeyWrap.TryUnwrap(ring, key.ResidentId, key.Version, key.KekVersion, key.WrappedKey, dataKey)
                ? DataKeyWrap.Wrap(ring, key.ResidentId, key.Version, dataKey, out _)
                : null;
        }
        finally
        {
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(dataKey);
        }
    }
}

/// <param name="KekVersion">The KEK version data keys were rewrapped under.</param>
/// <param name="Rewrapped">Data keys rewrapped by this run.</param>
/// <param name="Unreadable">Data keys under a present KEK version that failed to unwrap (tampered or corrupt).</param>
/// <param name="UnderMissingVersions">Data keys under KEK versions not in the ring (destroyed): their records are unreadable.</param>
/// <param name="ProtectionKeysReencrypted">Data Protection keys re-encrypted under the KEK version by this run.</param>
internal sealed record KekRotationResult(int KekVersion, int Rewrapped, int Unreadable, int UnderMissingVersions, int ProtectionKeysReencrypted)
{
    public bool Complete => Unreadable == 0 && UnderMissingVersions == 0;
}
