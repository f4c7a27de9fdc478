using System.Data.Common;
using DataTrust.Accounts;
using DataTrust.Audit;
using DataTrust.Audit.Events;
using DataTrust.Audit.Integrity;
using DataTrust.Audit.Storage;
using DataTrust.Identity.Clients;
using DataTrust.Persistence;
using DataTrust.Tests.Infrastructure;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace DataTrust.Tests.Audit;

/// <summary>The audit log on a real database: appends, atomicity, privacy, tamper detection (live and offline), proofs.</summary>
public abstract class AuditLogTests(StorageProvider provider) : IDisposable, IAsyncLifetime
{
    private readonly DataTrustFactory _factory = new(provider);

    public void Dispose() => _factory.Dispose();

    public Task InitializeAsync() => _factory.StartWithEmptyAuditLogAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Appends_are_gapless_chained_and_verify()
    {
        await _factory.AppendManyAsync(10);
        await _factory.AppendManyAsync(15, batch: 5, start: 10);

        var entries = await _factory.EntriesAsync();
        entries.Select(e => e.Seq).ShouldBe(Enumerable.Range(0, 25).Select(i => (long)i));
        entries[0].PrevHash.ShouldBe(new byte[32]);
        for (var i = 1; i < entries.Count; i++)
        {
            entries[i].PrevHash.ShouldBe(entries[i - 1].LeafHash);
            entries[i].LeafHash.ShouldBe(MerkleHash.Leaf(AuditEntryEncoding.Encode(entries[i])));
        }

        var report = await _factory.VerifyLiveAsync();
        report.Ok.ShouldBeTrue(string.Join("\n", report.Problems));
        report.Entries.ShouldBe(25);
    }

    [Fact]
    public async Task An_append_whose_transaction_rolls_back_leaves_no_entry_and_no_gap()
    {
        await _factory.AppendManyAsync(3);
        await using (var db = _factory.NewDbContext())
        {
            await using var transaction = await db.Database.BeginTransactionAsync();
            await _factory.Service<IAuditLog>().AppendAsync(db, [AuditTestLog.Sample(100), AuditTestLog.Sample(101)]);
            await db.SaveChangesAsync();
            await transaction.RollbackAsync();
        }

        await _factory.AppendManyAsync(1, start: 200);

        var entries = await _factory.EntriesAsync();
        entries.Select(e => e.Seq).ShouldBe([0L, 1, 2, 3]);
        entries[3].Details.ShouldContain("purpose-200");
        (await _factory.VerifyLiveAsync()).Ok.ShouldBeTrue();
    }

    [Fact]
    public async Task With_a_commit_tail_the_entries_are_written_with_the_commit_on_PostgreSQL_and_at_once_on_SQLite()
    {
        await _factory.AppendManyAsync(2);
        await using (var db = _factory.NewDbContext())
        {
            await using var transaction = await db.Database.BeginTransactionAsync();
            CommitTail.Open(db, transaction);
            await _factory.Service<IAuditLog>().AppendAsync(db, [AuditTestLog.Sample(10), AuditTestLog.Sample(11)]);
            await _factory.Service<IAuditLog>().AppendAsync(db, AuditTestLog.Sample(12));

            // Inside the transaction: PostgreSQL holds the writes back for the commit's round trip; SQLite has made them.
            var seen = await db.Database.SqlQueryRaw<int>("SELECT count(*) AS \"Value\" FROM audit_entries").SingleAsync();
            seen.ShouldBe(_factory.Provider == StorageProvider.Postgres ? 2 : 5);

            await CommitTail.CommitAsync(db, transaction, CancellationToken.None);
        }

        var entries = await _factory.EntriesAsync();
        entries.Select(e => e.Seq).ShouldBe([0L, 1, 2, 3, 4]);
        entries[4].Details.ShouldContain("purpose-12");
        (await _factory.VerifyLiveAsync()).Ok.ShouldBeTrue();

        // The connection the tail committed on is reused from the pool as if committed the usual way.
        await _factory.AppendManyAsync(1, start: 20);
        (await _factory.EntriesAsync()).Count.ShouldBe(6);
    }

    [Fact]
    public async Task A_failing_statement_in_the_commit_tail_commits_nothing_of_the_transaction()
    {
        if (_factory.Provider == StorageProvider.Sqlite)
        {
            return; // SQLite has no tail: statements run at once and fail there (see the test above)
        }

        await _factory.AppendManyAsync(1);
        await using (var db = _factory.NewDbContext())
        {
            await using var transaction = await db.Database.BeginTransactionAsync();
            CommitTail.Open(db, transaction);
            db.Add(new Client { Id = Guid.NewGuid(), ClientId = "effect-under-test", DisplayName = "x", CreatedAt = DateTimeOffset.UtcNow });
            await db.SaveChangesAsync();
            await _factory.Service<IAuditLog>().AppendAsync(db, AuditTestLog.Sample(10));
            CommitTail.TryAppend(db, new NpgsqlBatchCommand("INSERT INTO no_such_table VALUES (1)")).ShouldBeTrue();

            await Should.ThrowAsync<PostgresException>(() => CommitTail.CommitAsync(db, transaction, CancellationToken.None));
        }

        await using (var check = _factory.NewDbContext())
        {
            (await check.Set<Client>().AnyAsync(c => c.ClientId == "effect-under-test")).ShouldBeFalse();
        }

        await _factory.AppendManyAsync(1, start: 20);
        var entries = await _factory.EntriesAsync();
        entries.Select(e => e.Seq).ShouldBe([0L, 1]);
        entries[1].Details.ShouldContain("purpose-20");
        (await _factory.VerifyLiveAsync()).Ok.ShouldBeTrue();
    }

    [Fact]
    public async Task Without_a_commit_tail_statements_are_not_held_back()
    {
        await using var db = _factory.NewDbContext();
        CommitTail.TryAppend(db, new NpgsqlBatchCommand("SELECT 1")).ShouldBeFalse();
        await using var transaction = await db.Database.BeginTransactionAsync();
        CommitTail.TryAppend(db, new NpgsqlBatchCommand("SELECT 1")).ShouldBeFalse();
    }

    [Fact]
    public async Task Appending_outside_a_transaction_is_refused()
    {
        await using var db = _factory.NewDbContext();

        await Should.ThrowAsync<InvalidOperationException>(() => _factory.Service<IAuditLog>().AppendAsync(db, AuditTestLog.Sample(1)));
    }

    [Fact]
    public async Task When_the_audit_entry_cannot_be_written_the_effect_fails_too()
    {
        await using (var db = _factory.NewDbContext())
        {
            await using var transaction = await db.Database.BeginTransactionAsync();
            db.Add(new Client { Id = Guid.NewGuid(), ClientId = "effect-under-test", DisplayName = "x", CreatedAt = DateTimeOffset.UtcNow });
            var leaking = new RecipientReviewed(AuditActor.System("test"), "effect-under-test", "contact hanako@example.jp", "approved");

            await Should.ThrowAsync<InvalidOperationException>(() => _factory.Service<IAuditLog>().AppendAsync(db, leaking));
            // the capability's code never reaches SaveChanges/Commit: the transaction is disposed, so rolled back
        }

        await using var check = _factory.NewDbContext();
        (await check.Set<Client>().AnyAsync(c => c.ClientId == "effect-under-test")).ShouldBeFalse();
        (await check.Set<AuditEntry>().CountAsync()).ShouldBe(0);
    }

    [Fact]
    public async Task Statements_sent_with_the_head_lock_run_in_its_transaction_whether_or_not_the_head_is_locked_already()
    {
        await using (var db = _factory.NewDbContext())
        {
            await using var transaction = await db.Database.BeginTransactionAsync();
            if (_factory.Provider == StorageProvider.Sqlite)
            {
                await Should.ThrowAsync<InvalidOperationException>(() => AuditLog.LockHeadAsync(db, CancellationToken.None, new NpgsqlBatchCommand("SELECT 1")));
                return;
            }

            await AuditLog.LockHeadAsync(db, CancellationToken.None, new NpgsqlBatchCommand("CREATE TEMP TABLE alongside (n integer) ON COMMIT DROP"));
            await AuditLog.LockHeadAsync(db, CancellationToken.None, new NpgsqlBatchCommand("INSERT INTO alongside VALUES (1), (2)"));
            (await db.Database.SqlQueryRaw<int>("SELECT count(*)::integer AS \"Value\" FROM alongside").SingleAsync()).ShouldBe(2);

            // An error in a statement sent once the head is locked surfaces to the caller, as it does with the first lock.
            await Should.ThrowAsync<PostgresException>(() => AuditLog.LockHeadAsync(db, CancellationToken.None, new NpgsqlBatchCommand("INSERT INTO no_such_table VALUES (1)")));
        }

        (await _factory.EntriesAsync()).ShouldBeEmpty();
    }

    [Fact]
    public async Task Entries_hold_no_plaintext_personal_data()
    {
        const string canary = "canary-7f3e@example.jp";
        var users = _factory.Services.CreateScope().ServiceProvider.GetRequiredService<UserManager<UserAccount>>();
        var resident = new UserAccount { UserName = canary, Email = canary, DisplayName = "カナリア 太郎", CreatedAt = DateTimeOffset.UtcNow };
        (await users.CreateAsync(resident)).Succeeded.ShouldBeTrue();
        var consent = Guid.NewGuid();

        await _factory.AppendAsync(
            new SignedIn(AuditActor.Resident(resident.Id), "password+totp"),
            new ConsentChanged(AuditActor.Resident(resident.Id), resident.Id, consent, "demo-business", "dpv:ServiceProvision", ConsentChange.Granted),
            new DataReleased(AuditActor.Client("demo-business"), resident.Id, consent, "demo-business", "dpv:ServiceProvision", Guid.NewGuid(), ["mobility"], ["trips"]));
        await _factory.SealAsync();

        var dump = await DumpAuditTablesAsync();
        dump.ShouldNotContain(canary, Case.Insensitive);
        dump.ShouldNotContain("canary", Case.Insensitive);
        dump.ShouldNotContain("カナリア");
        dump.ShouldNotContain(resident.Id.ToString("D"), Case.Insensitive);
        dump.ShouldNotContain(resident.Id.ToString("N"), Case.Insensitive);

        // The resident is still findable by pseudonym, as actor and as subject.
        var pseudonym = _factory.Service<AuditPseudonyms>().Of(resident.Id);
        var entries = await _factory.EntriesAsync();
        entries.Count(e => e.Subject == pseudonym).ShouldBe(3);
        entries.Count(e => e.ActorId == pseudonym).ShouldBe(2);
    }

    [Fact]
    public async Task Editing_an_entry_is_detected_live_and_offline()
    {
        await ArrangeSealedLogAsync();
        await _factory.ExecuteAsync("UPDATE audit_entries SET details = '{\"decision\":\"approved\",\"purpose\":\"purpose-7\"}' WHERE seq = 7");

        await ShouldDetectAsync(firstBadIndex: 7);
    }

    [Fact]
    public async Task Deleting_an_entry_is_detected_live_and_offline()
    {
        await ArrangeSealedLogAsync();
        await _factory.ExecuteAsync("DELETE FROM audit_entries WHERE seq = 7");

        await ShouldDetectAsync(firstBadIndex: 7);
    }

    [Fact]
    public async Task Reordering_entries_is_detected_live_and_offline()
    {
        await ArrangeSealedLogAsync();
        await _factory.ExecuteAsync("UPDATE audit_entries SET seq = -1 WHERE seq = 5");
        await _factory.ExecuteAsync("UPDATE audit_entries SET seq = 5 WHERE seq = 9");
        await _factory.ExecuteAsync("UPDATE audit_entries SET seq = 9 WHERE seq = -1");

        await ShouldDetectAsync(firstBadIndex: 5);
    }

    [Fact]
    public async Task Inserting_an_entry_is_detected_live_and_offline()
    {
        await ArrangeSealedLogAsync();
        await _factory.ExecuteAsync("UPDATE audit_entries SET seq = seq + 1000 WHERE seq >= 10");
        await _factory.ExecuteAsync("UPDATE audit_entries SET seq = seq - 999 WHERE seq >= 1000");
        await _factory.ExecuteAsync(
            "INSERT INTO audit_entries (seq, recorded_at, actor_type, actor_id, action, subject, recipient, consent, objects, details, prev_hash, leaf_hash) " +
            "SELECT 10, recorded_at, actor_type, actor_id, action, subject, recipient, consent, objects, details, prev_hash, leaf_hash FROM audit_entries WHERE seq = 3");
        await RebuildHeadFromStoredLeavesAsync(); // so that new appends still work, as a careful intruder would leave it

        await ShouldDetectAsync(firstBadIndex: 10);
    }

    [Fact]
    public async Task Removing_the_newest_entries_is_detected_against_the_checkpoint()
    {
        var checkpoint = await ArrangeSealedLogAsync();
        await _factory.ExecuteAsync($"DELETE FROM audit_entries WHERE seq >= {checkpoint.TreeSize - 3}");

        var report = await _factory.VerifyLiveAsync();
        report.Ok.ShouldBeFalse();
        report.FirstBadIndex.ShouldBe(checkpoint.TreeSize - 3);
    }

    [Fact]
    public async Task A_truncated_and_re_signed_log_is_caught_by_consistency_with_an_earlier_checkpoint()
    {
        await _factory.AppendManyAsync(10);
        var kept = await _factory.SealAsync(); // the auditor keeps this one
        var keptRoot = kept.RootHash;

        // Someone with database and key access rewrites history from entry 5 on and re-signs.
        await _factory.ExecuteAsync("DELETE FROM audit_entries WHERE seq >= 5");
        await _factory.ExecuteAsync("DELETE FROM audit_checkpoints");
        await _factory.ExecuteAsync("DELETE FROM audit_tree_nodes");
        await RebuildHeadFromStoredLeavesAsync();

        await _factory.AppendManyAsync(12, start: 500);
        var resigned = await _factory.SealAsync();
        resigned.TreeSize.ShouldBeGreaterThan(kept.TreeSize);

        // On its own the rewritten log is self-consistent…
        (await _factory.VerifyLiveAsync()).Ok.ShouldBeTrue();

        // …but not consistent with the checkpoint kept from before.
        await using (var db = _factory.NewDbContext())
        {
            var proof = await MerkleProofs.ConsistencyAsync(kept.TreeSize, resigned.TreeSize, new AuditTreeReader(db), CancellationToken.None);
            MerkleProofs.VerifyConsistency(kept.TreeSize, resigned.TreeSize, proof, keptRoot, resigned.RootHash).ShouldBeFalse();
        }

        var live = await _factory.VerifyLiveAsync(kept.Jws);
        live.Ok.ShouldBeFalse();
        live.Problems.ShouldContain(p => p.Message.Contains("trusted checkpoint", StringComparison.OrdinalIgnoreCase));

        var offline = await _factory.ExportAndVerifyOfflineAsync(kept.Jws);
        offline.Log.Ok.ShouldBeFalse();
        (await _factory.ExportAndVerifyOfflineAsync()).Log.Ok.ShouldBeTrue();
    }

    [Fact]
    public async Task Proofs_served_from_stored_nodes_verify_across_node_levels()
    {
        await _factory.AppendManyAsync(700, batch: 100);
        var checkpoint = await _factory.SealAsync();
        var size = checkpoint.TreeSize;

        await using var db = _factory.NewDbContext();
        (await db.Set<AuditTreeNode>().CountAsync()).ShouldBe((int)(size / 256));
        var tree = new AuditTreeReader(db);
        var leaves = await db.Set<AuditEntry>().OrderBy(e => e.Seq).Select(e => e.LeafHash).ToListAsync();
        foreach (var index in new long[] { 0, 1, 255, 256, 257, 511, 512, 600, size - 1 })
        {
            var proof = await MerkleProofs.InclusionAsync(index, size, tree, CancellationToken.None);
            MerkleProofs.VerifyInclusion(index, size, leaves[(int)index], proof, checkpoint.RootHash).ShouldBeTrue($"entry {index}");
        }

        var memory = new InMemoryMerkleTree(leaves);
        foreach (var old in new long[] { 1, 256, 300, 512, 699 })
        {
            var proof = await MerkleProofs.ConsistencyAsync(old, size, tree, CancellationToken.None);
            proof.ShouldBe(await MerkleProofs.ConsistencyAsync(old, size, memory, CancellationToken.None));
            var oldRoot = await MerkleProofs.RangeHashAsync(0, old, memory, CancellationToken.None);
            MerkleProofs.VerifyConsistency(old, size, proof, oldRoot, checkpoint.RootHash).ShouldBeTrue($"{old}→{size}");
        }

        var report = await _factory.VerifyLiveAsync();
        report.Ok.ShouldBeTrue(string.Join("\n", report.Problems));
        report.CheckpointsMatched.ShouldBe(1);
    }

    [Fact]
    public async Task A_tampered_stored_node_is_reported()
    {
        await _factory.AppendManyAsync(300, batch: 100);
        await _factory.ExecuteAsync(provider == StorageProvider.Postgres
            ? "UPDATE audit_tree_nodes SET hash = decode(repeat('ab', 32), 'hex')"
            : "UPDATE audit_tree_nodes SET hash = randomblob(32)");

        var report = await _factory.VerifyLiveAsync();
        report.Ok.ShouldBeFalse();
        report.FirstBadIndex.ShouldBe(0);
    }

    [Fact]
    public async Task Checkpoints_signed_before_a_key_rotation_still_verify()
    {
        await _factory.AppendManyAsync(5);
        var first = await _factory.SealAsync();
        var newKey = await _factory.Service<AuditSigningKeys>().RotateAsync(AuditActor.System("test"), CancellationToken.None);
        await _factory.AppendManyAsync(5, start: 5);
        var second = await _factory.SealAsync();

        second.KeyId.ShouldBe(newKey);
        first.KeyId.ShouldNotBe(newKey);
        var keys = await _factory.Service<AuditSigningKeys>().PublicKeySetAsync(CancellationToken.None);
        keys["keys"]!.AsArray().Count.ShouldBe(2);
        var report = await _factory.VerifyLiveAsync();
        report.Ok.ShouldBeTrue(string.Join("\n", report.Problems));
        report.CheckpointsMatched.ShouldBe(2);
        (await _factory.ExportAndVerifyOfflineAsync()).Log.Ok.ShouldBeTrue();
        (await _factory.EntriesAsync()).Select(e => e.Action).ShouldContain(AuditAction.AuditSigningKeyRotated);
    }

    [Fact]
    public async Task The_signing_key_is_stored_encrypted()
    {
        await _factory.SealAsync();

        await using var db = _factory.NewDbContext();
        var key = await db.Set<AuditSigningKey>().SingleAsync();
        key.ProtectedPrivateKey.ShouldNotBeNullOrEmpty();
        using var ecdsa = System.Security.Cryptography.ECDsa.Create();
        Should.Throw<System.Security.Cryptography.CryptographicException>(() =>
            ecdsa.ImportPkcs8PrivateKey(Convert.FromBase64String(key.ProtectedPrivateKey), out _));
    }

    private async Task<AuditCheckpoint> ArrangeSealedLogAsync()
    {
        await _factory.AppendManyAsync(20, batch: 4);
        var checkpoint = await _factory.SealAsync();
        await _factory.AppendManyAsync(5, start: 20);
        (await _factory.VerifyLiveAsync()).Ok.ShouldBeTrue();
        return checkpoint;
    }

    private async Task RebuildHeadFromStoredLeavesAsync()
    {
        await using var db = _factory.NewDbContext();
        var leaves = await db.Set<AuditEntry>().OrderBy(e => e.Seq).Select(e => e.LeafHash).ToListAsync();
        var range = CompactRange.Empty();
        leaves.ForEach(l => range.Append(l));
        var head = await db.Set<AuditHead>().SingleAsync();
        (head.Size, head.LastHash, head.Frontier) = (range.Size, leaves[^1], range.Pack());
        await db.SaveChangesAsync();
    }

    private async Task ShouldDetectAsync(long firstBadIndex)
    {
        var live = await _factory.VerifyLiveAsync();
        live.Ok.ShouldBeFalse();
        live.FirstBadIndex.ShouldBe(firstBadIndex, string.Join("\n", live.Problems));

        var offline = await _factory.ExportAndVerifyOfflineAsync();
        offline.Log.Ok.ShouldBeFalse();
        offline.Log.FirstBadIndex.ShouldBe(firstBadIndex, string.Join("\n", offline.Log.Problems));
    }

    private async Task<string> DumpAuditTablesAsync()
    {
        await using var db = _factory.NewDbContext();
        var connection = db.Database.GetDbConnection();
        await connection.OpenAsync();
        var text = new System.Text.StringBuilder();
        foreach (var table in new[] { "audit_entries", "audit_head", "audit_tree_nodes", "audit_checkpoints", "audit_signing_keys" })
        {
            await using var command = connection.CreateCommand();
            command.CommandText = $"SELECT * FROM {table}";
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                for (var i = 0; i < reader.FieldCount; i++)
                {
                    text.Append(Render(reader, i)).Append('|');
                }
            }
        }

        return text.ToString();
    }

    private static string Render(DbDataReader reader, int column) => reader.GetValue(column) switch
    {
        byte[] bytes => System.Text.Encoding.UTF8.GetString(bytes) + Convert.ToHexString(bytes),
        var value => Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? "",
    };
}

public sealed class SqliteAuditLogTests() : AuditLogTests(StorageProvider.Sqlite);

public sealed class PostgresAuditLogTests() : AuditLogTests(StorageProvider.Postgres);
