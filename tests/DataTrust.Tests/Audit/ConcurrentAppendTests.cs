using DataTrust.Audit;
using DataTrust.Persistence;
using DataTrust.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace DataTrust.Tests.Audit;

/// <summary>Several service instances writing at once, as on a shared PostgreSQL.</summary>
public sealed class ConcurrentAppendTests : IDisposable, IAsyncLifetime
{
    private readonly DataTrustFactory _factory = new(StorageProvider.Postgres);

    public void Dispose() => _factory.Dispose();

    public Task InitializeAsync() => _factory.StartWithEmptyAuditLogAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Eight_concurrent_writers_leave_a_gapless_verifiable_log()
    {
        const int writers = 8;
        const int transactionsPerWriter = 25;
        await _factory.SealAsync(); // the signing key exists before the race

        // Each writer is its own "instance": its own IAuditLog (no shared in-process state) and contexts.
        var committed = 0;
        var tasks = Enumerable.Range(0, writers).Select(writer => Task.Run(async () =>
        {
            var log = ActivatorUtilities.CreateInstance<AuditLog>(_factory.Services);
            for (var t = 0; t < transactionsPerWriter; t++)
            {
                var batch = 1 + ((writer + t) % 4);
                await using var db = _factory.NewDbContext();
                await using var transaction = await db.Database.BeginTransactionAsync();
                await log.AppendAsync(db, Enumerable.Range(0, batch).Select(i => AuditTestLog.Sample((writer * 1000) + (t * 10) + i)).ToList());
                await db.SaveChangesAsync();
                if (t % 7 == 3)
                {
                    await transaction.RollbackAsync(); // some effects fail: their entries must leave no gap
                    continue;
                }

                await transaction.CommitAsync();
                Interlocked.Add(ref committed, batch);
            }
        })).ToList();
        await Task.WhenAll(tasks);
        await _factory.SealAsync();

        var entries = await _factory.EntriesAsync();
        entries.Count.ShouldBe(1 + committed); // the signing key's creation, then every committed append
        entries.Select(e => e.Seq).ShouldBe(Enumerable.Range(0, entries.Count).Select(i => (long)i));
        var report = await _factory.VerifyLiveAsync();
        report.Ok.ShouldBeTrue(string.Join("\n", report.Problems));
        report.CheckpointsMatched.ShouldBe(2);
    }
}
