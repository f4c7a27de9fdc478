using System.Net.Sockets;
using DataTrust.Common;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace DataTrust.Persistence;

/// <summary>
/// Brings the database to the newest schema at start-up. Several instances may start at once:
/// EF Core takes a database-wide migration lock on both providers. Failures an operator can fix
/// become a <see cref="StartupException"/> with a plain message.
/// </summary>
internal sealed class DatabaseMigrator(
    IDbContextFactory<DataTrustDbContext> contexts,
    StorageSettings storage,
    ILogger<DatabaseMigrator> logger)
{
    public async Task MigrateAsync(CancellationToken cancellationToken)
    {
        try
        {
            await using var db = await contexts.CreateDbContextAsync(cancellationToken);
            if (storage.Provider == StorageProvider.Sqlite)
            {
                PrepareSqliteFile(db);
            }

            var pending = (await db.Database.GetPendingMigrationsAsync(cancellationToken)).ToList();
            if (pending.Count > 0)
            {
                logger.LogInformation("Applying {Count} database migration(s): {Migrations}", pending.Count, string.Join(", ", pending));
                await db.Database.MigrateAsync(cancellationToken);
            }

            if (storage.Provider == StorageProvider.Sqlite)
            {
                // WAL lets readers proceed while the worker writes; it is a property of the file.
                await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", cancellationToken);
            }
        }
        catch (Exception ex) when (Describe(ex) is { } message)
        {
            throw new StartupException(message, ex);
        }
    }

    private static void PrepareSqliteFile(DataTrustDbContext db)
    {
        var file = new SqliteConnectionStringBuilder(db.Database.GetConnectionString()).DataSource;
        var directory = Path.GetDirectoryName(Path.GetFullPath(file));
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }
    }

    /// <summary>Turns the storage failures an operator can fix into one sentence; null for anything else.</summary>
    internal string? Describe(Exception ex)
    {
        var where = DescribeTarget();
        return Unwrap(ex) switch
        {
            PostgresException { SqlState: "28P01" or "28000" } => $"PostgreSQL at {where} refused the credentials in ConnectionStrings:DataTrust.",
            PostgresException { SqlState: "3D000" } => $"The database named in ConnectionStrings:DataTrust does not exist at {where}, and could not be created.",
            PostgresException { SqlState: "42501" } pg => $"PostgreSQL at {where} denied a permission the schema migration needs: {pg.MessageText}",
            NpgsqlException { InnerException: SocketException or TimeoutException } or NpgsqlException { IsTransient: true } =>
                $"PostgreSQL at {where} cannot be reached. Check that the server is running and that Host/Port in ConnectionStrings:DataTrust are right.",
            SqliteException sqlite => $"The SQLite database at {where} cannot be opened or migrated: {sqlite.Message}",
            UnauthorizedAccessException or IOException => $"The data directory for {where} cannot be created or written: {Unwrap(ex).Message}",
            _ => null,
        };
    }

    private string DescribeTarget()
    {
        if (storage.Provider == StorageProvider.Sqlite)
        {
            return new SqliteConnectionStringBuilder(storage.ConnectionString).DataSource;
        }

        var builder = new NpgsqlConnectionStringBuilder(storage.ConnectionString);
        return $"{builder.Host}:{builder.Port}";
    }

    private static Exception Unwrap(Exception ex)
    {
        while (ex is InvalidOperationException or DbUpdateException or AggregateException && ex.InnerException is not null)
        {
            ex = ex.InnerException!;
        }

        return ex;
    }
}
