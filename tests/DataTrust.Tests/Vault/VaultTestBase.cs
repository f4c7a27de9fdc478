using System.Globalization;
using DataTrust.Persistence;
using DataTrust.Tests.Infrastructure;
using DataTrust.Vault;
using DataTrust.Vault.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace DataTrust.Tests.Vault;

/// <summary>Shared arrangements for the vault tests: a started service on a fresh database, and ways to read what it stored.</summary>
public abstract class VaultTestBase(StorageProvider provider)
{
    protected const string Canary = "canary-鈴木-0000";

    protected static readonly string CanaryJson = $$"""{"name":"{{Canary}}","note":"健診結果"}""";

    protected StorageProvider Provider => provider;

    protected DataTrustFactory StartService(params (string Key, string? Value)[] settings)
    {
        var factory = new DataTrustFactory(provider, settings.ToDictionary(s => s.Key, s => s.Value, StringComparer.Ordinal));
        factory.Services.ShouldNotBeNull(); // starts the service: migrations, key ring
        return factory;
    }

    protected static T Service<T>(DataTrustFactory factory)
        where T : notnull => factory.Services.GetRequiredService<T>();

    protected static async Task<Guid> PutAsync(DataTrustFactory factory, Guid residentId, string categoryId, string json, int schemaVersion = 1)
    {
        await using var db = factory.NewDbContext();
        return await Service<VaultStore>(factory).PutAsync(db, residentId, categoryId, schemaVersion, json);
    }

    /// <summary>The decrypted JSON, or null when the resident has no such record; throws <see cref="VaultDecryptionException"/> as the service would.</summary>
    protected static async Task<string?> ReadAsync(DataTrustFactory factory, Guid residentId, Guid recordId, DataTrustDbContext? db = null)
    {
        await using var owned = db is null ? factory.NewDbContext() : null;
        using var record = await Service<VaultStore>(factory).GetAsync(db ?? owned!, residentId, recordId);
        return record?.GetJsonString();
    }

    protected static async Task<VaultDecryptionException> ShouldFailClosedAsync(DataTrustFactory factory, Guid residentId, Guid recordId, DataTrustDbContext? db = null)
    {
        var error = await Should.ThrowAsync<VaultDecryptionException>(() => ReadAsync(factory, residentId, recordId, db));
        error.Message.ShouldBe("The vault record could not be decrypted.");
        error.InnerException.ShouldBeNull();
        return error;
    }

    internal static async Task<VaultRecord> RecordRowAsync(DataTrustFactory factory, Guid recordId)
    {
        await using var db = factory.NewDbContext();
        return await db.Set<VaultRecord>().AsNoTracking().SingleAsync(r => r.Id == recordId);
    }

    internal static async Task<List<VaultDataKey>> DataKeyRowsAsync(DataTrustFactory factory, Guid residentId)
    {
        await using var db = factory.NewDbContext();
        return await db.Set<VaultDataKey>().AsNoTracking().Where(k => k.ResidentId == residentId).OrderBy(k => k.Version).ToListAsync();
    }

    /// <summary>A consistent copy of the whole database, as a backup would be; returns its connection string.</summary>
    protected static async Task<string> BackupAsync(DataTrustFactory factory)
    {
        if (factory.Provider == StorageProvider.Sqlite)
        {
            var file = Path.Combine(factory.Database.DataDirectory, $"backup-{Guid.NewGuid():N}.db");
            await using var live = new SqliteConnection(factory.Database.ConnectionString);
            await using var copy = new SqliteConnection($"Data Source={file}");
            await live.OpenAsync();
            await copy.OpenAsync();
            live.BackupDatabase(copy); // SQLite's online backup: a page-by-page file copy of a live database
            return copy.ConnectionString;
        }

        // PostgreSQL: a new database cloned from the live one (needs no other session on it).
        var liveDatabase = new NpgsqlConnectionStringBuilder(factory.Database.ConnectionString).Database!;
        var backup = "b_" + Guid.NewGuid().ToString("N")[..16];
        await using var admin = new NpgsqlConnection(PostgresServer.Instance.ConnectionString("postgres"));
        await admin.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE {backup} TEMPLATE {liveDatabase}", admin);
        for (var attempt = 1; ; attempt++)
        {
            NpgsqlConnection.ClearAllPools();
            try
            {
                await command.ExecuteNonQueryAsync();
                return PostgresServer.Instance.ConnectionString(backup);
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.ObjectInUse && attempt < 20)
            {
                // The service's background work (jobs, key cache) had a query running on the live database: try again.
                await Task.Delay(100);
            }
        }
    }

    /// <summary>A context on another database of the same provider (a restored backup), in the service's configuration.</summary>
    protected static DataTrustDbContext OpenDatabase(DataTrustFactory factory, string connectionString)
    {
        var builder = new DbContextOptionsBuilder<DataTrustDbContext>();
        StorageServiceCollectionExtensions.Configure(builder, factory.Provider, connectionString);
        builder.UseApplicationServiceProvider(factory.Services);
        return new DataTrustDbContext(builder.Options);
    }

    /// <summary>Everything the database holds, as text: every row of every table as JSON (PostgreSQL), or the raw file bytes (SQLite).</summary>
    protected static async Task<byte[]> DatabaseContentAsync(DataTrustFactory factory)
    {
        if (factory.Provider == StorageProvider.Sqlite)
        {
            await using (var connection = new SqliteConnection(factory.Database.ConnectionString))
            {
                await connection.OpenAsync();
                await using var checkpoint = new SqliteCommand("PRAGMA wal_checkpoint(TRUNCATE)", connection);
                // A reader of the service (a background job) can hold the checkpoint off: it then answers busy (1) and
                // leaves the log as it was, old frames included. Try again until it has run.
                for (var attempt = 0; Convert.ToInt64(await checkpoint.ExecuteScalarAsync(), CultureInfo.InvariantCulture) != 0; attempt++)
                {
                    attempt.ShouldBeLessThan(100, "the WAL checkpoint stayed busy for 5 s");
                    await Task.Delay(50);
                }
            }

            var file = new SqliteConnectionStringBuilder(factory.Database.ConnectionString).DataSource;
            var wal = file + "-wal";
            using var all = new MemoryStream();
            await all.WriteAsync(await ReadSharedAsync(file));
            if (File.Exists(wal))
            {
                await all.WriteAsync(await ReadSharedAsync(wal));
            }

            return all.ToArray();
        }

        await using var db = new NpgsqlConnection(factory.Database.ConnectionString);
        await db.OpenAsync();
        var tables = new List<string>();
        await using (var list = new NpgsqlCommand("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'", db))
        await using (var reader = await list.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                tables.Add(reader.GetString(0));
            }
        }

        var text = new System.Text.StringBuilder();
        foreach (var table in tables)
        {
            await using var rows = new NpgsqlCommand($"SELECT row_to_json(t)::text FROM \"{table}\" t", db);
            await using var reader = await rows.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                text.AppendLine(reader.GetString(0));
            }
        }

        return System.Text.Encoding.UTF8.GetBytes(text.ToString());
    }

    /// <summary>Whether the content holds these bytes raw, or as PostgreSQL renders bytea (hex) or base64.</summary>
    protected static bool Contains(byte[] content, byte[] needle) =>
        content.AsSpan().IndexOf(needle) >= 0 ||
        content.AsSpan().IndexOf(System.Text.Encoding.UTF8.GetBytes(Convert.ToHexStringLower(needle))) >= 0 ||
        content.AsSpan().IndexOf(System.Text.Encoding.UTF8.GetBytes(Convert.ToBase64String(needle))) >= 0;

    private static async Task<byte[]> ReadSharedAsync(string path)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy);
        return copy.ToArray();
    }
}
