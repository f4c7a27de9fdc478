using System.Diagnostics;
using System.Globalization;
using DataTrust.Common;
using DataTrust.Persistence;
using DataTrust.Vault;
using DataTrust.Vault.Keys;
using DataTrust.Vault.Rotation;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace DataTrust.Bench;

/// <summary>
/// Load harness (not a micro-benchmark): fills a fresh vault through <see cref="VaultStore.PutAsync(DataTrustDbContext, Guid, string, int, string, CancellationToken)"/>,
/// then times a KEK rotation (rewraps data keys only) and DEK rotations (re-encrypt records), and prints figures.
/// <code>
/// dotnet run -c Release --project bench/DataTrust.Bench -- vault-rotation [--residents 10000] [--records-per-resident 10]
///     [--dek-residents 1000] [--big-resident-records 10000] [--postgres "Host=…;Database=…;Username=…"]
/// </code>
/// SQLite by default (a file in a temp directory); <c>--postgres</c> uses an empty database you name.
/// </summary>
internal static class VaultRotationHarness
{
    public static async Task<int> RunAsync(string[] args)
    {
        var residents = IntArgument(args, "--residents", 10_000);
        var recordsPerResident = IntArgument(args, "--records-per-resident", 10);
        var dekResidents = IntArgument(args, "--dek-residents", 1_000);
        var bigResidentRecords = IntArgument(args, "--big-resident-records", 10_000);
        var postgres = Argument(args, "--postgres");
        var directory = Directory.CreateTempSubdirectory("datatrust-bench-").FullName;
        try
        {
            using var host = BuildHost(directory, postgres);
            await host.Services.PrepareDataTrustAsync(host.Services.GetRequiredService<IHostEnvironment>());
            var services = host.Services;
            var contexts = services.GetRequiredService<IDbContextFactory<DataTrustDbContext>>();
            var store = services.GetRequiredService<VaultStore>();
            Console.WriteLine($"vault-rotation: {(postgres is null ? "SQLite" : "PostgreSQL")}, {Environment.ProcessorCount} cores, {DateTime.UtcNow:yyyy-MM-dd}");

            // Fill: one transaction per resident, as an ingestion batch would be.
            var residentIds = new List<Guid>(residents);
            var clock = Stopwatch.StartNew();
            for (var r = 0; r < residents; r++)
            {
                var resident = Guid.NewGuid();
                residentIds.Add(resident);
                await using var db = await contexts.CreateDbContextAsync();
                await using var transaction = await db.Database.BeginTransactionAsync();
                for (var i = 0; i < recordsPerResident; i++)
                {
                    await store.PutAsync(db, resident, "mobility.trips", 1, Payload(r, i));
                }

                await transaction.CommitAsync();
            }

            var records = residents * recordsPerResident;
            Report("put (encrypt + store)", records, "records", clock.Elapsed);

            // KEK rotation: every data key is rewrapped; no record is read or written.
            services.GetRequiredService<KeyEncryptionKeyAdministration>().AddVersion();
            clock.Restart();
            var kek = await services.GetRequiredService<KeyEncryptionKeyRotation>().RewrapAllAsync();
            Report($"KEK rotation ({records:N0} records under {kek.Rewrapped:N0} data keys; records untouched)", kek.Rewrapped, "data keys", clock.Elapsed);
            Console.WriteLine($"    = {records / clock.Elapsed.TotalSeconds:N0} records/s covered");

            // DEK rotation for many small residents: new key, re-encrypt, retire.
            var rotation = services.GetRequiredService<DataKeyRotation>();
            clock.Restart();
            var reencrypted = 0;
            foreach (var resident in residentIds.Take(dekResidents))
            {
                reencrypted += (await rotation.RotateCurrentAsync(resident))!.Reencrypted;
            }

            Report($"DEK rotation, {Math.Min(dekResidents, residents):N0} residents x {recordsPerResident} records", reencrypted, "records", clock.Elapsed);

            // DEK rotation for one resident with many records (batched re-encryption).
            var big = Guid.NewGuid();
            await using (var db = await contexts.CreateDbContextAsync())
            {
                await using var transaction = await db.Database.BeginTransactionAsync();
                for (var i = 0; i < bigResidentRecords; i++)
                {
                    await store.PutAsync(db, big, "mobility.trips", 1, Payload(0, i));
                }

                await transaction.CommitAsync();
            }

            clock.Restart();
            var bigResult = await rotation.RotateCurrentAsync(big);
            Report($"DEK rotation, one resident x {bigResidentRecords:N0} records", bigResult!.Reencrypted, "records", clock.Elapsed);
            return 0;
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }

    private static IHost BuildHost(string directory, string? postgres)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = Environments.Development, ContentRootPath = directory });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["DataTrust:DataDirectory"] = directory,
            ["DataTrust:SeedDemoData"] = "false",
            ["Storage:Provider"] = postgres is null ? "Sqlite" : "Postgres",
            ["ConnectionStrings:DataTrust"] = postgres,
        });
        builder.AddDataTrust();
        builder.Services.AddRouting(); // see CliHost: authorization needs it outside a web host
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.EntityFrameworkCore", LogLevel.None);
        builder.Logging.AddFilter("DataTrust.Vault.Keys.KeyRingProvider", LogLevel.Error);
        return builder.Build();
    }

    // A realistic small record: a trip with a few fields, about 150 bytes of JSON.
    private static string Payload(int resident, int index) =>
        string.Create(CultureInfo.InvariantCulture,
            $$"""{"tripId":"t-{{resident}}-{{index}}","mode":"bus","from":"Shibuya","to":"Ebisu","km":{{(index % 17) + 0.5}},"startedAt":"2026-11-21T08:{{index % 60:00}}:00+09:00"}""");

    private static void Report(string what, int count, string unit, TimeSpan elapsed) =>
        Console.WriteLine($"{what}: {count:N0} {unit} in {elapsed.TotalSeconds:N2} s = {count / elapsed.TotalSeconds:N0} {unit}/s");

    private static string? Argument(string[] args, string name)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
    }

    private static int IntArgument(string[] args, string name, int fallback) =>
        Argument(args, name) is { } value ? int.Parse(value, CultureInfo.InvariantCulture) : fallback;
}
