using DataTrust.Persistence;
using DataTrust.Vault.Storage;
using Microsoft.EntityFrameworkCore;

namespace DataTrust.Vault.Keys;

/// <summary>The state of the key hierarchy, for <c>datatrust keys status</c> and the start-up check. No key material.</summary>
internal sealed class VaultKeyStatus(KeyRingProvider keyRing, IDbContextFactory<DataTrustDbContext> contexts)
{
    public async Task<VaultKeyReport> ReadAsync(CancellationToken cancellationToken)
    {
        var ring = keyRing.Ring;
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var dataKeysByKek = await DataKeysByKekVersionAsync(db, cancellationToken);
        var records = await db.Set<VaultRecord>().CountAsync(cancellationToken);

        // An erasure reaches earlier copies of the database once no KEK version up to its mark is left.
        var oldestKek = ring.Versions.Min();
        var pendingErasures = await db.Set<VaultErasure>().Where(e => e.KekVersionAtErasure >= oldestKek)
            .Select(e => e.KekVersionAtErasure).ToListAsync(cancellationToken);

        return new VaultKeyReport(
            ring.Source.ToString(),
            ring.CurrentVersion,
            [.. ring.Versions],
            ring.DestroyedVersions,
            dataKeysByKek,
            records,
            pendingErasures.Count,
            pendingErasures.Count == 0 ? null : pendingErasures.Max());
    }

    /// <summary>Data keys per KEK version (served by the index on <c>kek_version</c>).</summary>
    public async Task<Dictionary<int, int>> DataKeysByKekVersionAsync(CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await DataKeysByKekVersionAsync(db, cancellationToken);
    }

    private static Task<Dictionary<int, int>> DataKeysByKekVersionAsync(DataTrustDbContext db, CancellationToken cancellationToken) =>
        db.Set<VaultDataKey>()
            .GroupBy(k => k.KekVersion)
            .Select(g => new { KekVersion = g.Key, Count = g.Count() })
            .ToDictionaryAsync(g => g.KekVersion, g => g.Count, cancellationToken);
}

/// <param name="ErasuresNotYetInBackups">Erasures whose data keys earlier database copies can still unwrap, because a KEK version up to <paramref name="DestroyKekVersionsUpTo"/> still exists.</param>
internal sealed record VaultKeyReport(
    string Source,
    int CurrentKekVersion,
    IReadOnlyList<int> KekVersions,
    IReadOnlyList<int> DestroyedKekVersions,
    IReadOnlyDictionary<int, int> DataKeysByKekVersion,
    int Records,
    int ErasuresNotYetInBackups,
    int? DestroyKekVersionsUpTo)
{
    public IReadOnlyList<int> DataKeysUnderMissingKek => [.. DataKeysByKekVersion.Keys.Where(v => !KekVersions.Contains(v)).Order()];
}
