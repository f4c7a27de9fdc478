using System.Diagnostics;
using DataTrust.Audit;
using DataTrust.Audit.Events;
using DataTrust.Audit.Verification;
using DataTrust.Persistence;
using DataTrust.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace DataTrust.Bench;

/// <summary>
/// <c>audit-append [--writers W] [--batch B] [--seconds S] [--unsafe]</c>: W concurrent writers, each
/// with its own contexts, append audit entries to a real PostgreSQL on loopback in transactions of B
/// entries for S seconds, the way capabilities do (begin, append, save, commit). Prints appends per
/// second, then verifies the resulting log. The harness starts and removes its own cluster.
/// </summary>
internal static class AuditAppendHarness
{
    public static async Task<int> RunAsync(string[] args)
    {
        var writers = AuditVerifyHarness.Option(args, "--writers", 8);
        var batch = AuditVerifyHarness.Option(args, "--batch", 100);
        var seconds = AuditVerifyHarness.Option(args, "--seconds", 15);
        var durable = !args.Contains("--unsafe");

        using var cluster = PostgresCluster.Start(durable, maxConnections: 200);
        var dataDirectory = Directory.CreateTempSubdirectory("datatrust-bench-data-").FullName;
        try
        {
            var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = Environments.Production, ContentRootPath = dataDirectory });
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>(StringComparer.Ordinal)
            {
                ["Storage:Provider"] = "Postgres",
                ["ConnectionStrings:DataTrust"] = cluster.CreateDatabase("bench"),
                ["DataTrust:DataDirectory"] = dataDirectory,
                ["Audit:PseudonymKey"] = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)),
                ["Vault:Keys:1"] = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)),
                ["DataTrust:Issuer"] = "http://127.0.0.1",
            });
            builder.AddDataTrust();
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
            using var host = builder.Build();
            await host.Services.PrepareDataTrustAsync(host.Services.GetRequiredService<IHostEnvironment>());
            var services = host.Services;
            await services.GetRequiredService<CheckpointSealer>().SealForScheduleAsync(CancellationToken.None);

            Console.WriteLine($"PostgreSQL on 127.0.0.1:{cluster.Port} ({(durable ? "fsync and synchronous commit on" : "fsync off")}); " +
                $"{writers} writers, {batch} entries per transaction, {seconds} s");
            var contexts = services.GetRequiredService<IDbContextFactory<DataTrustDbContext>>();
            var deadline = Stopwatch.GetTimestamp() + (long)(seconds * (double)Stopwatch.Frequency);
            long appended = 0, transactions = 0;
            var latencies = new List<double>[writers];
            var clock = Stopwatch.StartNew();
            await Task.WhenAll(Enumerable.Range(0, writers).Select(writer => Task.Run(async () =>
            {
                var log = ActivatorUtilities.CreateInstance<AuditLog>(services); // each writer as its own instance
                latencies[writer] = [];
                var n = 0;
                while (Stopwatch.GetTimestamp() < deadline)
                {
                    var started = Stopwatch.GetTimestamp();
                    var events = Enumerable.Range(0, batch).Select(i => (AuditEvent)new RecipientReviewed(
                        AuditActor.Client($"writer-{writer}"), $"recipient-{(n + i) % 50}", "dpv:ServiceProvision", "approved")).ToList();
                    await using var db = await contexts.CreateDbContextAsync();
                    await using var transaction = await db.Database.BeginTransactionAsync();
                    await log.AppendAsync(db, events);
                    await db.SaveChangesAsync();
                    await transaction.CommitAsync();
                    latencies[writer].Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                    Interlocked.Add(ref appended, batch);
                    Interlocked.Increment(ref transactions);
                    n += batch;
                }
            })));
            clock.Stop();

            var all = latencies.SelectMany(l => l).Order().ToList();
            Console.WriteLine($"appended {appended:N0} entries in {transactions:N0} transactions over {clock.Elapsed.TotalSeconds:0.0} s");
            Console.WriteLine($"throughput: {appended / clock.Elapsed.TotalSeconds:N0} appends/s ({transactions / clock.Elapsed.TotalSeconds:N0} transactions/s)");
            Console.WriteLine($"transaction latency: p50 {all[all.Count / 2]:0.0} ms, p99 {all[(int)(all.Count * 0.99)]:0.0} ms");

            await services.GetRequiredService<CheckpointSealer>().SealForScheduleAsync(CancellationToken.None);
            var verify = Stopwatch.StartNew();
            var report = await services.GetRequiredService<LiveAuditVerifier>().VerifyAsync(null, CancellationToken.None);
            Console.WriteLine($"live verification: ok={report.Ok}, {report.Entries:N0} entries, gapless, in {verify.Elapsed.TotalSeconds:0.0} s");
            return report.Ok ? 0 : 1;
        }
        finally
        {
            Directory.Delete(dataDirectory, recursive: true);
        }
    }
}
