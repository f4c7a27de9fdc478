using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using DataTrust.Audit.Events;
using DataTrust.Persistence;
using DataTrust.Vault.Crypto;
using DataTrust.Vault.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace DataTrust.Vault.Keys;

/// <summary>
/// Residents' data keys (DEKs): creating versions, reserving encryptions under the current one, unwrapping.
/// Works inside the caller's context and transaction; holds no state, so any number of instances may share
/// one database.
/// </summary>
internal sealed class ResidentDataKeys(
    KeyRingProvider keyRing,
    IOptions<VaultOptions> options,
    TimeProvider time,
    ILogger<ResidentDataKeys> logger)
{
    private const int MaxAttempts = 8;

    // The data key versions created inside each open transaction, until the caller that audits it takes them (TakeCreated).
    private static readonly ConditionalWeakTable<IDbContextTransaction, List<(Guid Resident, int Version)>> CreatedInTransaction = [];

    /// <summary>
    /// Reserves <paramref name="count"/> encryptions under the resident's current data key and returns the
    /// key. The counter is raised atomically in the database before any nonce is drawn, and only on the
    /// newest version; when that version has no room left, the next version is created (a data key rotation)
    /// and the reservation is made there.
    /// </summary>
    /// <param name="createFirst">Whether a resident without any data key gets version 1 (false for re-encryption, which must not resurrect an erased resident's key).</param>
    /// <returns>The unwrapped key, or null when the resident has no data key and <paramref name="createFirst"/> is false.</returns>
    public async Task<UnwrappedDataKey?> ReserveAsync(DataTrustDbContext db, Guid residentId, int count, bool createFirst, CancellationToken cancellationToken)
    {
        var limit = options.Value.MaxEncryptionsPerDataKey;
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, limit);

        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var current = await CurrentAsync(db, residentId, cancellationToken);
            if (current is null)
            {
                if (!createFirst)
                {
                    return null;
                }

                await TryCreateAsync(db, residentId, 1, cancellationToken);
                continue;
            }

            var version = current.Version;
            var keys = db.Set<VaultDataKey>();
            var reserved = await keys
                .Where(k => k.ResidentId == residentId && k.Version == version && k.Encryptions <= limit - count &&
                            !keys.Any(newer => newer.ResidentId == residentId && newer.Version > version))
                .ExecuteUpdateAsync(set => set.SetProperty(k => k.Encryptions, k => k.Encryptions + count), cancellationToken);
            if (reserved == 1)
            {
                return TryUnwrap(current) ?? throw Unreadable(current, "data-key-unwrap-failed");
            }

            // No room left under this version, or another writer already made a newer one (then this is a no-op).
            if (await TryCreateAsync(db, residentId, version + 1, cancellationToken))
            {
                logger.LogInformation(
                    "A data key reached its limit of {Limit} encryptions (or was superseded); data key version {Version} was created.",
                    limit, version + 1);
            }
        }

        throw new InvalidOperationException("No data key encryption could be reserved: too many concurrent data key rotations for one resident. Try again.");
    }

    /// <summary>The newest data key version of a resident, or null.</summary>
    public static Task<VaultDataKey?> CurrentAsync(DataTrustDbContext db, Guid residentId, CancellationToken cancellationToken) =>
        db.Set<VaultDataKey>().AsNoTracking()
            .Where(k => k.ResidentId == residentId)
            .OrderByDescending(k => k.Version)
            .FirstOrDefaultAsync(cancellationToken);

    public static Task<VaultDataKey?> FindAsync(DataTrustDbContext db, Guid residentId, int version, CancellationToken cancellationToken) =>
        db.Set<VaultDataKey>().AsNoTracking().FirstOrDefaultAsync(k => k.ResidentId == residentId && k.Version == version, cancellationToken);

    /// <summary>
    /// Creates a data key version wrapped under the current KEK; false when that version already exists
    /// (another writer won the race). EF Core rolls back to a savepoint on failure, so the caller's
    /// transaction stays usable.
    /// </summary>
    public async Task<bool> TryCreateAsync(DataTrustDbContext db, Guid residentId, int version, CancellationToken cancellationToken)
    {
        var dataKey = GC.AllocateArray<byte>(DataKeyWrap.DataKeySize, pinned: true);
        RandomNumberGenerator.Fill(dataKey);
        VaultDataKey row;
        try
        {
            var wrapped = DataKeyWrap.Wrap(keyRing.Ring, residentId, version, dataKey, out var kekVersion);
            row = new VaultDataKey
            {
                ResidentId = residentId,
                Version = version,
                KekVersion = kekVersion,
                WrappedKey = wrapped,
                Encryptions = 0,
                CreatedAt = time.GetUtcNow(),
            };
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dataKey);
        }

        db.Add(row);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
            if (db.Database.CurrentTransaction is { } transaction)
            {
                CreatedInTransaction.GetOrCreateValue(transaction).Add((residentId, version));
            }

            return true;
        }
        catch (DbUpdateException ex) when (DuplicateKey.Caused(ex))
        {
            return false;
        }
        finally
        {
            db.Entry(row).State = EntityState.Detached;
        }
    }

    /// <summary>
    /// One <c>key.created</c> event for each data key version created so far in <paramref name="db"/>'s transaction (each
    /// handed out once), for the caller to append with its own entries at the end of that transaction. Appending at
    /// creation would lock the audit head before the caller's other rows, against the order every writer keeps.
    /// </summary>
    public static IReadOnlyList<AuditEvent> TakeCreated(DataTrustDbContext db, AuditActor actor)
    {
        if (db.Database.CurrentTransaction is not { } transaction || !CreatedInTransaction.TryGetValue(transaction, out var created))
        {
            return [];
        }

        CreatedInTransaction.Remove(transaction);
        return [.. created.Select(c => new KeyOperation(actor, VaultKeyAudit.DataKeyKind, $"dek-v{c.Version}", KeyOperationKind.Created, c.Resident))];
    }

    /// <summary>Unwraps a stored data key; null when it cannot be (KEK version absent, tampering, wrong row).</summary>
    public UnwrappedDataKey? TryUnwrap(VaultDataKey row)
    {
        var dataKey = GC.AllocateArray<byte>(DataKeyWrap.DataKeySize, pinned: true);
        if (DataKeyWrap.TryUnwrap(keyRing.Ring, row.ResidentId, row.Version, row.KekVersion, row.WrappedKey, dataKey))
        {
            return new UnwrappedDataKey(row.Version, dataKey);
        }

        CryptographicOperations.ZeroMemory(dataKey);
        return null;
    }

    /// <summary>Logs why (for operators, without personal data) and returns the one generic error.</summary>
    public VaultDecryptionException Unreadable(VaultDataKey row, string reason)
    {
        logger.LogWarning(
            "A vault data key (version {DataKeyVersion}, KEK version {KekVersion}) could not be unwrapped: {Reason}.",
            row.Version, row.KekVersion, keyRing.Ring.Contains(row.KekVersion) ? reason : "kek-version-not-in-ring");
        return new VaultDecryptionException();
    }
}

/// <summary>A data key in clear, for the duration of one operation; zeroed on dispose.</summary>
internal sealed class UnwrappedDataKey(int version, byte[] key) : IDisposable
{
    public int Version { get; } = version;

    public ReadOnlySpan<byte> Key => key;

    public void Dispose() => CryptographicOperations.ZeroMemory(key);
}
