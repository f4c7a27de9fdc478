using System.Text;
using DataTrust.Persistence;
using DataTrust.Tests.Infrastructure;
using DataTrust.Vault;
using DataTrust.Vault.Erasure;
using DataTrust.Vault.Keys;
using DataTrust.Vault.Rotation;
using DataTrust.Vault.Storage;
using Microsoft.EntityFrameworkCore;

namespace DataTrust.Tests.Vault;

/// <summary>Records are encrypted, bound to their row, and fail closed with one generic error.</summary>
public abstract class VaultRecordTests(StorageProvider provider) : VaultTestBase(provider)
{
    [Fact]
    public async Task A_record_round_trips_and_lists_without_decrypting()
    {
        using var factory = StartService();
        var resident = Guid.NewGuid();

        var id = await PutAsync(factory, resident, "health.checkup", CanaryJson, schemaVersion: 2);
        var other = await PutAsync(factory, resident, "mobility.trips", """{"km":12.5}""");

        (await ReadAsync(factory, resident, id)).ShouldBe(CanaryJson);
        await using var db = factory.NewDbContext();
        using (var record = (await Service<VaultStore>(factory).GetAsync(db, resident, id))!)
        {
            record.CategoryId.ShouldBe("health.checkup");
            record.SchemaVersion.ShouldBe(2);
            using var json = record.ParseJson();
            json.RootElement.GetProperty("name").GetString().ShouldBe(Canary);
        }

        var listed = await VaultStore.ListAsync(db, resident);
        listed.Select(r => (r.Id, r.CategoryId, r.SchemaVersion)).ShouldBe([(id, "health.checkup", 2), (other, "mobility.trips", 1)]);
        (await VaultStore.ListAsync(db, resident, "mobility.trips")).Single().Id.ShouldBe(other);

        (await VaultStore.DeleteAsync(db, resident, other)).ShouldBeTrue();
        (await VaultStore.DeleteAsync(db, resident, other)).ShouldBeFalse();
        (await ReadAsync(factory, resident, other)).ShouldBeNull();
        (await ReadAsync(factory, Guid.NewGuid(), id)).ShouldBeNull("another resident does not see the record at all");

        var row = await RecordRowAsync(factory, id);
        row.Nonce.Length.ShouldBe(12);
        row.Tag.Length.ShouldBe(16);
        Encoding.UTF8.GetString(row.Ciphertext).ShouldNotContain("canary");
    }

    [Fact]
    public async Task Flipping_any_single_bit_of_nonce_tag_or_ciphertext_fails_closed()
    {
        using var factory = StartService();
        var resident = Guid.NewGuid();
        var id = await PutAsync(factory, resident, "mobility.trips", """{"km":1}""");
        var original = await RecordRowAsync(factory, id);
        await using var db = factory.NewDbContext();

        foreach (var part in new[] { "nonce", "tag", "ciphertext" })
        {
            var bytes = part switch { "nonce" => original.Nonce, "tag" => original.Tag, _ => original.Ciphertext };
            for (var bit = 0; bit < bytes.Length * 8; bit++)
            {
                var flipped = bytes.ToArray();
                flipped[bit / 8] ^= (byte)(1 << (bit % 8));
                await SetPartAsync(db, id, part, flipped);
                await ShouldFailClosedAsync(factory, resident, id, db);
            }

            await SetPartAsync(db, id, part, bytes);
        }

        (await ReadAsync(factory, resident, id, db)).ShouldBe("""{"km":1}""");
    }

    [Fact]
    public async Task Flipping_any_single_bit_of_the_wrapped_data_key_fails_closed()
    {
        using var factory = StartService();
        var resident = Guid.NewGuid();
        var id = await PutAsync(factory, resident, "mobility.trips", """{"km":1}""");
        var original = (await DataKeyRowsAsync(factory, resident)).Single().WrappedKey;
        await using var db = factory.NewDbContext();

        for (var bit = 0; bit < original.Length * 8; bit++)
        {
            var flipped = original.ToArray();
            flipped[bit / 8] ^= (byte)(1 << (bit % 8));
            await db.Set<VaultDataKey>().Where(k => k.ResidentId == resident).ExecuteUpdateAsync(s => s.SetProperty(k => k.WrappedKey, flipped));
            await ShouldFailClosedAsync(factory, resident, id, db);
        }

        await db.Set<VaultDataKey>().Where(k => k.ResidentId == resident).ExecuteUpdateAsync(s => s.SetProperty(k => k.WrappedKey, original));
        (await ReadAsync(factory, resident, id, db)).ShouldBe("""{"km":1}""");
    }

    [Fact]
    public async Task Changing_any_bound_component_of_the_row_fails_closed()
    {
        using var factory = StartService();
        var alice = Guid.NewGuid();
        var bob = Guid.NewGuid();
        var id = await PutAsync(factory, alice, "health.checkup", CanaryJson);
        await PutAsync(factory, bob, "health.checkup", """{"b":1}"""); // bob has a data key version 1 too
        await using var db = factory.NewDbContext();
        await Service<ResidentDataKeys>(factory).TryCreateAsync(db, alice, 2, CancellationToken.None); // and alice a version 2
        var records = db.Set<VaultRecord>().Where(r => r.Id == id);

        // resident id: the row moved to another resident, who has a data key of the same version
        await records.ExecuteUpdateAsync(s => s.SetProperty(r => r.ResidentId, bob));
        await ShouldFailClosedAsync(factory, bob, id, db);
        await db.Set<VaultRecord>().Where(r => r.Id == id).ExecuteUpdateAsync(s => s.SetProperty(r => r.ResidentId, alice));

        // category, schema version, data key version
        await records.ExecuteUpdateAsync(s => s.SetProperty(r => r.CategoryId, "mobility.trips"));
        await ShouldFailClosedAsync(factory, alice, id, db);
        await records.ExecuteUpdateAsync(s => s.SetProperty(r => r.CategoryId, "health.checkup"));

        await records.ExecuteUpdateAsync(s => s.SetProperty(r => r.SchemaVersion, 2));
        await ShouldFailClosedAsync(factory, alice, id, db);
        await records.ExecuteUpdateAsync(s => s.SetProperty(r => r.SchemaVersion, 1));

        await records.ExecuteUpdateAsync(s => s.SetProperty(r => r.DataKeyVersion, 2));
        await ShouldFailClosedAsync(factory, alice, id, db);
        await records.ExecuteUpdateAsync(s => s.SetProperty(r => r.DataKeyVersion, 1));

        // record id: the same ciphertext under another id
        var row = await RecordRowAsync(factory, id);
        row.Id = Guid.NewGuid();
        db.Add(row);
        await db.SaveChangesAsync();
        await ShouldFailClosedAsync(factory, alice, row.Id, db);

        // KEK version of the wrap: claims another (present) KEK version
        Service<KeyEncryptionKeyAdministration>(factory).AddVersion();
        var keys = db.Set<VaultDataKey>().Where(k => k.ResidentId == alice && k.Version == 1);
        await keys.ExecuteUpdateAsync(s => s.SetProperty(k => k.KekVersion, 2));
        await ShouldFailClosedAsync(factory, alice, id, db);
        await keys.ExecuteUpdateAsync(s => s.SetProperty(k => k.KekVersion, 1));

        (await ReadAsync(factory, alice, id, db)).ShouldBe(CanaryJson, "every change was undone, so the record reads again");
        factory.Logs.All.ShouldContain("could not be decrypted: record-authentication-failed");
    }

    [Fact]
    public async Task Ciphertext_copied_into_another_residents_row_or_another_category_fails_closed()
    {
        using var factory = StartService();
        var alice = Guid.NewGuid();
        var bob = Guid.NewGuid();
        var aliceHealth = await PutAsync(factory, alice, "health.checkup", CanaryJson);
        var aliceMobility = await PutAsync(factory, alice, "mobility.trips", """{"km":3}""");
        var bobHealth = await PutAsync(factory, bob, "health.checkup", """{"b":1}""");
        var source = await RecordRowAsync(factory, aliceHealth);
        await using var db = factory.NewDbContext();

        foreach (var target in new[] { bobHealth, aliceMobility })
        {
            await db.Set<VaultRecord>().Where(r => r.Id == target).ExecuteUpdateAsync(s => s
                .SetProperty(r => r.Nonce, source.Nonce).SetProperty(r => r.Ciphertext, source.Ciphertext).SetProperty(r => r.Tag, source.Tag));
        }

        await ShouldFailClosedAsync(factory, bob, bobHealth, db);
        await ShouldFailClosedAsync(factory, alice, aliceMobility, db);

        // Alice's wrapped data key put in Bob's row does not unwrap as Bob's either.
        var aliceKey = (await DataKeyRowsAsync(factory, alice)).Single().WrappedKey;
        var bobRecord = await PutAsync(factory, bob, "health.checkup", """{"b":2}""");
        await db.Set<VaultDataKey>().Where(k => k.ResidentId == bob).ExecuteUpdateAsync(s => s.SetProperty(k => k.WrappedKey, aliceKey));
        await ShouldFailClosedAsync(factory, bob, bobRecord, db);

        (await ReadAsync(factory, alice, aliceHealth, db)).ShouldBe(CanaryJson);
    }

    [Fact]
    public async Task The_canary_plaintext_appears_in_no_log_line_and_no_database_column()
    {
        // Every log level, EF Core's SQL logging included, so that anything that could leak is written.
        using var factory = StartService(("Logging:LogLevel:Default", "Trace"));
        var resident = Guid.NewGuid();
        var id = await PutAsync(factory, resident, "health.checkup", CanaryJson);
        (await ReadAsync(factory, resident, id)).ShouldBe(CanaryJson);

        // Exercise every path that touches the plaintext: rotation of both key levels, a failed read, erasure.
        await Service<DataKeyRotation>(factory).RotateCurrentAsync(resident);
        Service<KeyEncryptionKeyAdministration>(factory).AddVersion();
        await Service<KeyEncryptionKeyRotation>(factory).RewrapAllAsync();
        await using (var db = factory.NewDbContext())
        {
            await db.Set<VaultRecord>().Where(r => r.Id == id).ExecuteUpdateAsync(s => s.SetProperty(r => r.CategoryId, "x"));
            await ShouldFailClosedAsync(factory, resident, id, db);
            await db.Set<VaultRecord>().Where(r => r.Id == id).ExecuteUpdateAsync(s => s.SetProperty(r => r.CategoryId, "health.checkup"));
            await Service<ResidentErasure>(factory).EraseResidentKeysAsync(db, Guid.NewGuid());
        }

        (await ReadAsync(factory, resident, id)).ShouldBe(CanaryJson);
        factory.Logs.Lines.Count.ShouldBeGreaterThan(0);
        factory.Logs.All.ShouldNotContain(Canary);
        factory.Logs.All.ShouldNotContain("鈴木");
        factory.Logs.All.ShouldNotContain("健診結果");

        var content = await DatabaseContentAsync(factory);
        content.Length.ShouldBeGreaterThan(0);
        Contains(content, Encoding.UTF8.GetBytes(Canary)).ShouldBeFalse();
        Contains(content, Encoding.UTF8.GetBytes("鈴木")).ShouldBeFalse();
        Contains(content, Encoding.Unicode.GetBytes(Canary)).ShouldBeFalse();
    }

    [Fact]
    public async Task A_payload_that_is_not_one_JSON_object_is_refused_without_quoting_it()
    {
        using var factory = StartService();
        await using var db = factory.NewDbContext();
        var store = Service<VaultStore>(factory);

        foreach (var bad in new[] { "secret-鈴木", "[\"secret\"]", "{\"a\":\"secret\"} {}", "{\"a\":", "" })
        {
            var error = await Should.ThrowAsync<ArgumentException>(() => store.PutAsync(db, Guid.NewGuid(), "health.checkup", 1, bad));
            error.Message.ShouldNotContain("secret");
            error.InnerException.ShouldBeNull();
        }

        await Should.ThrowAsync<ArgumentException>(() => store.PutAsync(db, Guid.NewGuid(), "health checkup", 1, "{}"));
        await Should.ThrowAsync<ArgumentOutOfRangeException>(() => store.PutAsync(db, Guid.NewGuid(), "health.checkup", 0, "{}"));
        (await db.Set<VaultRecord>().CountAsync()).ShouldBe(0);
    }

    [Fact]
    public async Task Concurrent_first_writes_for_one_resident_share_one_data_key()
    {
        using var factory = StartService();
        var resident = Guid.NewGuid();

        var ids = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Task.Run(() => PutAsync(factory, resident, "mobility.trips", $$"""{"i":{{i}}}"""))));

        var keys = await DataKeyRowsAsync(factory, resident);
        keys.Count.ShouldBe(1);
        keys[0].Encryptions.ShouldBe(8);
        for (var i = 0; i < ids.Length; i++)
        {
            (await ReadAsync(factory, resident, ids[i])).ShouldBe($$"""{"i":{{i}}}""");
        }
    }

    [Fact]
    public async Task A_write_inside_the_callers_transaction_is_undone_by_its_rollback()
    {
        using var factory = StartService();
        var resident = Guid.NewGuid();
        await using var db = factory.NewDbContext();
        await using (var transaction = await db.Database.BeginTransactionAsync())
        {
            await Service<VaultStore>(factory).PutAsync(db, resident, "mobility.trips", 1, """{"km":1}""");
            await transaction.RollbackAsync();
        }

        (await db.Set<VaultRecord>().CountAsync()).ShouldBe(0);
        (await db.Set<VaultDataKey>().CountAsync()).ShouldBe(0);
    }

    private static Task<int> SetPartAsync(DataTrustDbContext db, Guid id, string part, byte[] value)
    {
        var record = db.Set<VaultRecord>().Where(r => r.Id == id);
        return part switch
        {
            "nonce" => record.ExecuteUpdateAsync(s => s.SetProperty(r => r.Nonce, value)),
            "tag" => record.ExecuteUpdateAsync(s => s.SetProperty(r => r.Tag, value)),
            _ => record.ExecuteUpdateAsync(s => s.SetProperty(r => r.Ciphertext, value)),
        };
    }
}

public sealed class SqliteVaultRecordTests() : VaultRecordTests(StorageProvider.Sqlite);

public sealed class PostgresVaultRecordTests() : VaultRecordTests(StorageProvider.Postgres);
