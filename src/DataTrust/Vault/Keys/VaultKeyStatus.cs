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
        var dataKeysByKek = await db.Set<VaultDataKey>()
            .GroupBy(k => k.KekVersion)
            .Select(g => new { KekVersion = g.Key, Count = g.Count() })
            .ToDictionaryAsync(g => g.KekVersion, g => g.Count, cancellationToken);
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
