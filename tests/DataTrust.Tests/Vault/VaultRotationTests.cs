using DataTrust.Persistence;
using DataTrust.Vault.Keys;
using DataTrust.Vault.Rotation;
using DataTrust.Vault.Storage;
using Microsoft.EntityFrameworkCore;

namespace DataTrust.Tests.Vault;

/// <summary>KEK rotation rewraps data keys only; DEK rotation re-encrypts one resident; both resume after a crash.</summary>
public abstract class VaultRotationTests(StorageProvider provider) : VaultTestBase(provider)
{
    [Fact]
    public async Task KEK_rotation_rewraps_every_data_key_resumes_after_a_crash_and_then_the_old_KEK_is_not_needed()
    {
        using var factory = StartService(("Vault:RotationBatchSize", "2"));
        var records = new List<(Guid Resident, Guid Id, string Json)>();
        for (var r = 0; r < 5; r++)
        {
            var resident = Guid.NewGuid();
            for (var i = 0; i < 2; i++)
            {
                var json = $$"""{"r":{{r}},"i":{{i}}}""";
                records.Add((resident, await PutAsync(factory, resident, "mobility.trips", json), json));
            }
        }

        var before = await AllRecordRowsAsync(factory);
        var administration = Service<KeyEncryptionKeyAdministration>(factory);
        (await administration.WhyNotDestroyAsync(1, default))!.ShouldContain("is the current one");

        administration.AddVersion().ShouldBe(2);
        (await administration.WhyNotDestroyAsync(1, default))!.ShouldContain("5 data key(s) are still wrapped");

        // A crash after the first batch: the committed batch stays done.
        using var crash = new CancellationTokenSource();
        var rotation = Service<KeyEncryptionKeyRotation>(factory);
        var reports = new List<RotationProgress>();
        var crashed = false;
        try
        {
            await rotation.RewrapAllAsync(new InlineProgress(p =>
            {
                reports.Add(p);
                if (p.Done > 0)
                {
                    crash.Cancel();
                }
            }), crash.Token);
        }
        catch (OperationCanceledException)
        {
            crashed = true;
        }

        crashed.ShouldBeTrue();
        reports.ShouldBe([new RotationProgress(0, 5), new RotationProgress(2, 5)]);
        (await DataKeysByKekAsync(factory)).ShouldBe(new Dictionary<int, int> { [1] = 3, [2] = 2 });

        var resumed = await rotation.RewrapAllAsync();
        resumed.ShouldBe(new KekRotationResult(2, 3, 0, 0, await ProtectionKeyCountAsync(factory)));
        (await DataKeysByKekAsync(factory)).ShouldBe(new Dictionary<int, int> { [2] = 5 });
        (await rotation.RewrapAllAsync()).Rewrapped.ShouldBe(0, "a second run finds nothing to do");

        // Records were not touched: same nonce, ciphertext and tag.
        var after = await AllRecordRowsAsync(factory);
        after.Select(Parts).ShouldBe(before.Select(Parts));

        (await administration.WhyNotDestroyAsync(1, default)).ShouldBeNull();
        await administration.DestroyVersionAsync(1, default);
        var ring = Service<KeyRingProvider>(factory).Ring;
        ring.Contains(1).ShouldBeFalse();
        ring.DestroyedVersions.ShouldBe([1]);
        var keyFile = await File.ReadAllTextAsync(ring.Source.FilePath!);
        keyFile.ShouldContain("\"destroyed\"");
        using (var file = KeyRingFile.Read(ring.Source.FilePath!))
        {
            file.Keys.Select(k => k.Version).ShouldBe([2]);
        }

        foreach (var (resident, id, json) in records)
        {
            (await ReadAsync(factory, resident, id)).ShouldBe(json);
        }

        (await administration.WhyNotDestroyAsync(1, default))!.ShouldContain("already destroyed");
    }

    [Fact]
    public async Task DEK_rotation_re_encrypts_the_residents_records_retires_the_old_key_and_is_idempotent()
    {
        using var factory = StartService(("Vault:RotationBatchSize", "2"));
        var alice = Guid.NewGuid();
        var bob = Guid.NewGuid();
        var ids = new List<Guid>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add(await PutAsync(factory, alice, "mobility.trips", $$"""{"i":{{i}}}"""));
        }

        var bobRecord = await PutAsync(factory, bob, "mobility.trips", """{"bob":true}""");
        var before = (await AllRecordRowsAsync(factory)).Where(r => r.ResidentId == alice).ToList();
        var rotation = Service<DataKeyRotation>(factory);
        var reports = new List<RotationProgress>();

        var result = await rotation.RotateCurrentAsync(alice, new InlineProgress(reports.Add));

        result.ShouldBe(new DataKeyRotationResult(1, 5, 0, 1));
        reports.First().ShouldBe(new RotationProgress(0, 5));
        reports.Last().ShouldBe(new RotationProgress(5, 5));
        (await DataKeyRowsAsync(factory, alice)).Select(k => k.Version).ShouldBe([2]);
        var after = (await AllRecordRowsAsync(factory)).Where(r => r.ResidentId == alice).ToList();
        after.ShouldAllBe(r => r.DataKeyVersion == 2);
        after.Zip(before).ShouldAllBe(pair => !pair.First.Ciphertext.SequenceEqual(pair.Second.Ciphertext) && !pair.First.Nonce.SequenceEqual(pair.Second.Nonce));
        for (var i = 0; i < ids.Count; i++)
        {
            (await ReadAsync(factory, alice, ids[i])).ShouldBe($$"""{"i":{{i}}}""");
        }

        // Running the same rotation again (a job retried after a crash) makes no new key and changes nothing.
        (await rotation.RotateAsync(alice, 1)).ShouldBe(new DataKeyRotationResult(1, 0, 0, 0));
        (await DataKeyRowsAsync(factory, alice)).Select(k => k.Version).ShouldBe([2]);

        (await DataKeyRowsAsync(factory, bob)).Select(k => k.Version).ShouldBe([1]);
        (await ReadAsync(factory, bob, bobRecord)).ShouldBe("""{"bob":true}""");
        (await rotation.RotateCurrentAsync(Guid.NewGuid())).ShouldBeNull();
    }

    [Fact]
    public async Task The_encryption_counter_moves_a_resident_to_a_new_data_key_at_the_threshold()
    {
        using var factory = StartService(("Vault:MaxEncryptionsPerDataKey", "3"), ("Logging:LogLevel:DataTrust.Vault", "Information"));
        var resident = Guid.NewGuid();
        var ids = new List<Guid>();
        for (var i = 0; i < 4; i++)
        {
            ids.Add(await PutAsync(factory, resident, "mobility.trips", $$"""{"i":{{i}}}"""));
        }

        var versions = new List<int>();
        foreach (var id in ids)
        {
            versions.Add((await RecordRowAsync(factory, id)).DataKeyVersion);
        }

        versions.ShouldBe([1, 1, 1, 2]);
        (await DataKeyRowsAsync(factory, resident)).Select(k => (k.Version, k.Encryptions)).ShouldBe([(1, 3L), (2, 1L)]);
        factory.Logs.All.ShouldContain("reached its limit of 3 encryptions");

        // Re-encryption counts too, and never pushes any key past the limit.
        var result = await Service<DataKeyRotation>(factory).RotateAsync(resident, 1);
        result.Reencrypted.ShouldBe(3);
        var keys = await DataKeyRowsAsync(factory, resident);
        keys.ShouldAllBe(k => k.Encryptions <= 3);
        keys.ShouldNotContain(k => k.Version == 1);
        for (var i = 0; i < ids.Count; i++)
        {
            (await ReadAsync(factory, resident, ids[i])).ShouldBe($$"""{"i":{{i}}}""");
        }
    }

    private static async Task<List<VaultRecord>> AllRecordRowsAsync(DataTrust.Tests.Infrastructure.DataTrustFactory factory)
    {
        await using var db = factory.NewDbContext();
        return await db.Set<VaultRecord>().AsNoTracking().OrderBy(r => r.Id).ToListAsync();
    }

    private static async Task<int> ProtectionKeyCountAsync(DataTrust.Tests.Infrastructure.DataTrustFactory factory)
    {
        await using var db = factory.NewDbContext();
        return await db.Set<DataProtectionKey>().CountAsync();
    }

    private static async Task<Dictionary<int, int>> DataKeysByKekAsync(DataTrust.Tests.Infrastructure.DataTrustFactory factory)
    {
        await using var db = factory.NewDbContext();
        return await db.Set<VaultDataKey>().GroupBy(k => k.KekVersion).ToDictionaryAsync(g => g.Key, g => g.Count());
    }

    private static string Parts(VaultRecord record) =>
        $"{record.Id} {Convert.ToHexString(record.Nonce)} {Convert.ToHexString(record.Ciphertext)} {Convert.ToHexString(record.Tag)} {record.DataKeyVersion}";

    private sealed class InlineProgress(Action<RotationProgress> report) : IProgress<RotationProgress>
    {
        public void Report(RotationProgress value) => report(value);
    }
}

public sealed class SqliteVaultRotationTests() : VaultRotationTests(StorageProvider.Sqlite);

public sealed class PostgresVaultRotationTests() : VaultRotationTests(StorageProvider.Postgres);
