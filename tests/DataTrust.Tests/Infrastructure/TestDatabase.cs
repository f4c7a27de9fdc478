using DataTrust.Persistence;

namespace DataTrust.Tests.Infrastructure;

/// <summary>A fresh, empty database for one test host: a SQLite file in a temp directory, or a new PostgreSQL database.</summary>
public sealed class TestDatabase : IDisposable
{
    private TestDatabase(StorageProvider provider, string connectionString, string dataDirectory)
    {
        Provider = provider;
        ConnectionString = connectionString;
        DataDirectory = dataDirectory;
    }

    public StorageProvider Provider { get; }

    public string ConnectionString { get; }

    public string DataDirectory { get; }

    public static TestDatabase Create(StorageProvider provider)
    {
        var directory = Directory.CreateTempSubdirectory("datatrust-test-").FullName;
        var connectionString = provider switch
        {
            StorageProvider.Sqlite => $"Data Source={Path.Combine(directory, "datatrust.db")}",
            StorageProvider.Postgres => PostgresServer.Instance.CreateDatabase(),
            _ => throw new ArgumentOutOfRangeException(nameof(provider)),
        };
        return new TestDatabase(provider, connectionString, directory);
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // a file still held open by a background thread; the OS temp cleaner takes it
        }
    }
}
