using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using DataTrust.Accounts;
using DataTrust.Audit.Events;
using DataTrust.Audit.Storage;
using DataTrust.Consent;
using DataTrust.Identity.Clients;
using DataTrust.Persistence;
using DataTrust.Testing;
using DataTrust.Vault;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace DataTrust.Bench;

/// <summary>
/// Load harness for the brokering API: a throwaway PostgreSQL cluster, residents with a live consent and
/// a record each (seeded through the use-case code, not HTTP), then audited releases through the real
/// endpoint on Kestrel from concurrent clients while a revoker withdraws consents. Afterwards it checks, from
/// the audit log, that no release of a consent sits after that consent's committed revoke.
/// <code>
/// dotnet run -c Release --project bench/DataTrust.Bench -- broker-release [--residents 10000] [--clients 16[,24,…]] [--seconds 20] [--warmup 10] [--revokes-per-second 20]
/// </code>
/// Several client counts are measured one after another on the same seeded database, each for <c>--seconds</c>.
/// </summary>
internal static class BrokerReleaseHarness
{
    private const string Recipient = "bench-recipient";
    private const string Secret = "bench-secret-0123456789-abcdefghijklmn";

    public static async Task<int> RunAsync(string[] args)
    {
        var residents = IntArgument(args, "--residents", 10_000);
        var clientCounts = IntListArgument(args, "--clients", 16);
        var seconds = IntArgument(args, "--seconds", 20);
        var warmup = IntArgument(args, "--warmup", 10);
        var revokesPerSecond = IntArgument(args, "--revokes-per-second", 20);
        using var cluster = PostgresCluster.Start(durable: true, maxConnections: 200);
        var directory = Directory.CreateTempSubdirectory("datatrust-broker-bench-").FullName;
        try
        {
            var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = Environments.Development, ContentRootPath = directory });
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>(StringComparer.Ordinal)
            {
                ["DataTrust:DataDirectory"] = directory,
                ["DataTrust:PoliciesDirectory"] = Path.Combine(AppContext.BaseDirectory, "policies"),
                ["DataTrust:SeedDemoData"] = "false",
                ["DataTrust:Roles"] = "web",
                ["Storage:Provider"] = "Postgres",
                ["ConnectionStrings:DataTrust"] = cluster.CreateDatabase("broker") + ";Maximum Pool Size=100",
                ["RateLimiting:Sensitive:Burst"] = "100000",
                ["RateLimiting:Sensitive:PermitsPerMinute"] = "6000000",
            });
            builder.AddDataTrust();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Logging.SetMinimumLevel(LogLevel.Error);
            builder.Logging.AddFilter("Microsoft.EntityFrameworkCore", LogLevel.None);
            await using var app = builder.Build();
            await app.Services.PrepareDataTrustAsync(app.Environment);
            app.UseDataTrust();
            await app.StartAsync();
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            Console.WriteLine($"broker-release: PostgreSQL (fsync on), {Environment.ProcessorCount} cores, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, load average {LoadAverage()}");

            var seed = Stopwatch.StartNew();
            var consents = await SeedAsync(app.Services, residents);
            Console.WriteLine($"seeded {residents:N0} residents (account, consent, 2 records each) in {seed.Elapsed.TotalSeconds:N1} s");
            await AnalyzeAsync(app.Services);

            using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = clientCounts.Max() * 2 }) { BaseAddress = new Uri(address) };
            var token = await TokenAsync(http);

            // The same load, unmeasured, until the JIT has compiled the hot paths at full optimisation (as in a service that has been up a while).
            await LoadAsync(http, token, consents, clientCounts[0], TimeSpan.FromSeconds(warmup), null);
            Console.WriteLine($"warm-up: {warmup} s of the same load, not measured ({await CountAsync(app.Services, AuditAction.DataReleased):N0} releases)");
            var revokedSoFar = 0;
            foreach (var clients in clientCounts)
            {
                revokedSoFar = await MeasureAsync(app.Services, http, token, consents, clients, seconds, revokesPerSecond, revokedSoFar);
            }

            var late = await ReleasesAfterRevokeAsync(app.Services);
            Console.WriteLine($"{revokedSoFar:N0} consents revoked during the runs; releases committed after their consent's revoke: {late} (must be 0)");
            await app.StopAsync();
            return late == 0 ? 0 : 1;
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>One measured run of <paramref name="clients"/> concurrent clients while consents are revoked, from <paramref name="revokedBefore"/> on; returns how many are revoked after it.</summary>
    private static async Task<int> MeasureAsync(
        IServiceProvider services, HttpClient http, string token, List<(Guid Resident, Guid ConsentId)> consents, int clients, int seconds, int revokesPerSecond, int revokedBefore)
    {
        var latencies = new ConcurrentBag<double>();
        var refused = 0;
        var failed = 0;
        var revoked = new ConcurrentBag<Guid>();

        var releasedBefore = await CountAsync(services, AuditAction.DataReleased);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        var run = Stopwatch.StartNew();
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var postgresCpuBefore = PostgresCpu();
        var workers = LoadAsync(http, token, consents, clients, TimeSpan.FromSeconds(seconds), (latency, status) =>
        {
            latencies.Add(latency);
            if (status == 403)
            {
                Interlocked.Increment(ref refused);
            }
            else if (status is < 200 or > 299)
            {
                Interlocked.Increment(ref failed);
            }
        });
        var revoker = Task.Run(async () =>
        {
            var index = revokedBefore;
            while (!stop.IsCancellationRequested && index < consents.Count)
            {
                var (resident, consentId) = consents[index++];
                await using var scope = services.CreateAsyncScope();
                await scope.ServiceProvider.GetRequiredService<ConsentLedger>().RevokeAsync(resident, consentId, CancellationToken.None);
                revoked.Add(consentId);
                await Task.Delay(1000 / Math.Max(1, revokesPerSecond), CancellationToken.None);
            }
        });
        await workers;
        await revoker;
        var elapsed = run.Elapsed;
        var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
        var postgresCpu = PostgresCpu() - postgresCpuBefore;

        var sorted = latencies.Order().ToArray();
        var released = await CountAsync(services, AuditAction.DataReleased) - releasedBefore;
        Console.WriteLine($"{clients} concurrent HTTP clients for {elapsed.TotalSeconds:N1} s: {sorted.Length:N0} requests, {released:N0} audited releases " +
                          $"= {released / elapsed.TotalSeconds:N0} releases/s; {refused:N0} refused, {failed:N0} failed");
        Console.WriteLine($"CPU per request: {cpu.TotalMilliseconds / Math.Max(1, sorted.Length):N2} ms in this process (service and HTTP clients), " +
                          $"{postgresCpu.TotalMilliseconds / Math.Max(1, sorted.Length):N2} ms in PostgreSQL");
        Console.WriteLine($"latency (all requests) p50 {Percentile(sorted, 0.50):N1} ms, p99 {Percentile(sorted, 0.99):N1} ms, max {sorted.LastOrDefault():N1} ms");
        return revokedBefore + revoked.Count;
    }

    /// <summary>Concurrent clients asking for releases of random consents for a while; each answer's latency (ms) and status go to <paramref name="record"/>.</summary>
    private static async Task LoadAsync(HttpClient http, string token, List<(Guid Resident, Guid ConsentId)> consents, int clients, TimeSpan duration, Action<double, int>? record)
    {
        using var stop = new CancellationTokenSource(duration);
        await Task.WhenAll(Enumerable.Range(0, clients).Select(w => Task.Run(async () =>
        {
            var random = new Random(w);
            while (!stop.IsCancellationRequested)
            {
                var consent = consents[random.Next(consents.Count)];
                using var request = new HttpRequestMessage(HttpMethod.Post, "/api/broker/releases")
                {
                    Content = JsonContent.Create(new { consentId = consent.ConsentId, categories = new[] { "mobility", "resident-basic" } }),
                };
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
                var started = Stopwatch.GetTimestamp();
                using var response = await http.SendAsync(request, CancellationToken.None);
                await response.Content.ReadAsByteArrayAsync(CancellationToken.None);
                record?.Invoke(Stopwatch.GetElapsedTime(started).TotalMilliseconds, (int)response.StatusCode);
            }
        })));
    }

    private static async Task<List<(Guid Resident, Guid ConsentId)>> SeedAsync(IServiceProvider services, int residents)
    {
        var contexts = services.GetRequiredService<IDbContextFactory<DataTrustDbContext>>();
        var system = AuditActor.System("bench");
        Guid requestId;
        await using (var scope = services.CreateAsyncScope())
        {
            var sp = scope.ServiceProvider;
            var db = sp.GetRequiredService<DataTrustDbContext>();
            db.Add(new Client
            {
                Id = Guid.CreateVersion7(), ClientId = Recipient, DisplayName = Recipient, Kind = ClientKind.BusinessRecipient,
                TokenEndpointAuthMethod = "client_secret_basic", SecretHash = ClientSecretHasher.Hash(Secret), RedirectUris = ["https://bench.example/cb"],
                GrantTypes = ["client_credentials"], Scopes = ["datatrust.requests", "datatrust.broker"], CreatedAt = DateTimeOffset.UtcNow,
            });
            await db.SaveChangesAsync();
            var admin = sp.GetRequiredService<RecipientAdministration>();
            await admin.RegisterAsync(new RecipientRegistration(Recipient, "Bench Transport"), system, default);
            var criteria = sp.GetRequiredService<Policies.DataUsePolicy>().RecipientCriteria.ToDictionary(c => c.Id, _ => true, StringComparer.Ordinal);
            await admin.ReviewAsync(Recipient, new RecipientReviewInput("approve", criteria, null), system, default);
            var requests = sp.GetRequiredService<DataRequests>();
            var draft = await requests.CreateDraftAsync(Recipient, new DataRequestInput("mobility-improvement",
                [new RequestedCategory("mobility", ["trip_date", "transport_mode", "duration_minutes"]), new RequestedCategory("resident-basic", ["age_band", "district"])],
                "P1Y", "periodic", 10_000, "P1D", null, null, new LocalizedText("ポイント", "Points"), new LocalizedText("説明", "Explanation")), default);
            await requests.SubmitAsync(Recipient, draft.Id, default);
            await requests.ReviewAsync(draft.Id, new DataRequestReviewInput("approve", false, null), system, default);
            requestId = draft.Id;
        }

        var ids = Enumerable.Range(0, residents).Select(_ => Guid.CreateVersion7()).ToList();
        await using (var db = await contexts.CreateDbContextAsync())
        {
            foreach (var chunk in ids.Chunk(1000))
            {
                db.AddRange(chunk.Select(id => new UserAccount { Id = id, UserName = $"r{id:N}@bench.example", NormalizedUserName = $"R{id:N}@BENCH.EXAMPLE", Email = $"r{id:N}@bench.example", SecurityStamp = Guid.NewGuid().ToString(), CreatedAt = DateTimeOffset.UtcNow }));
                await db.SaveChangesAsync();
                db.ChangeTracker.Clear();
            }
        }

        var consents = new ConcurrentBag<(Guid, Guid)>();
        await Parallel.ForEachAsync(ids, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (resident, ct) =>
        {
            await using var scope = services.CreateAsyncScope();
            var sp = scope.ServiceProvider;
            var consent = await sp.GetRequiredService<ConsentLedger>().GrantAsync(resident, requestId, null, null, ct);
            await using var db = await contexts.CreateDbContextAsync(ct);
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            var vault = sp.GetRequiredService<VaultStore>();
            await vault.PutAsync(db, resident, "mobility", 1, """{"trip_date":"2026-11-01","transport_mode":"bus","duration_minutes":17,"origin_latitude":35.6}""", ct);
            await vault.PutAsync(db, resident, "resident-basic", 1, """{"age_band":"30-39","district":"Kita","full_name":"Bench Resident"}""", ct);
            await transaction.CommitAsync(ct);
            consents.Add((resident, consent.Id));
        });
        return [.. consents];
    }

    private static async Task<string> TokenAsync(HttpClient http)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/connect/token") { Content = new FormUrlEncodedContent(new Dictionary<string, string>(StringComparer.Ordinal) { ["grant_type"] = "client_credentials" }) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes($"{Recipient}:{Secret}")));
        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        response.EnsureSuccessStatusCode();
        return JsonDocument.Parse(body).RootElement.GetProperty("access_token").GetString()!;
    }

    /// <summary>
    /// Planner statistics for the freshly seeded tables, as autovacuum would have gathered them in a database that has been
    /// running: without them PostgreSQL's generic plan for the records read scanned a whole category's index per batch.
    /// </summary>
    private static async Task AnalyzeAsync(IServiceProvider services)
    {
        await using var db = await services.GetRequiredService<IDbContextFactory<DataTrustDbContext>>().CreateDbContextAsync();
        await db.Database.ExecuteSqlRawAsync("ANALYZE");
    }

    private static async Task<int> CountAsync(IServiceProvider services, string action)
    {
        await using var db = await services.GetRequiredService<IDbContextFactory<DataTrustDbContext>>().CreateDbContextAsync();
        return await db.Set<AuditEntry>().CountAsync(e => e.Action == action);
    }

    /// <summary>The audit sequence is the commit order of audited transactions: a release after its consent's revoke would be a broken promise 2.</summary>
    private static async Task<int> ReleasesAfterRevokeAsync(IServiceProvider services)
    {
        await using var db = await services.GetRequiredService<IDbContextFactory<DataTrustDbContext>>().CreateDbContextAsync();
        var revokes = await db.Set<AuditEntry>().Where(e => e.Action == AuditAction.ConsentRevoked).Select(e => new { e.Consent, e.Seq }).ToListAsync();
        var late = 0;
        foreach (var revoke in revokes)
        {
            late += await db.Set<AuditEntry>().CountAsync(e => e.Action == AuditAction.DataReleased && e.Consent == revoke.Consent && e.Seq > revoke.Seq);
        }

        return late;
    }

    private static double Percentile(double[] sorted, double p) => sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))];

    /// <summary>CPU time of every PostgreSQL process on this machine (the harness's cluster is the only one while it runs).</summary>
    private static TimeSpan PostgresCpu()
    {
        long ticks = 0;
        foreach (var directory in Directory.EnumerateDirectories("/proc").Where(d => Path.GetFileName(d).All(char.IsAsciiDigit)))
        {
            try
            {
                var stat = File.ReadAllText(Path.Combine(directory, "stat"));
                var close = stat.LastIndexOf(')');
                if (!stat[(stat.IndexOf('(') + 1)..close].StartsWith("postgres", StringComparison.Ordinal))
                {
                    continue;
                }

                var fields = stat[(close + 2)..].Split(' ');
                ticks += long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture); // utime, stime
            }
            catch (IOException)
            {
                // the process ended meanwhile
            }
        }

        return TimeSpan.FromSeconds(ticks / 100.0); // USER_HZ
    }

    private static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    private static int[] IntListArgument(string[] args, string name, int fallback)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? [.. args[index + 1].Split(',').Select(v => int.Parse(v, CultureInfo.InvariantCulture))] : [fallback];
    }

    private static int IntArgument(string[] args, string name, int fallback)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? int.Parse(args[index + 1], CultureInfo.InvariantCulture) : fallback;
    }
}
