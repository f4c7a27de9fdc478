using DataTrust.Persistence;
using DataTrust.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace DataTrust.Tests.Persistence;

/// <summary>
/// Migrations are written by hand. These tests prove, per provider, that the schema the migrations
/// build is exactly the schema the EF model describes, and that a started service is at the newest one.
/// </summary>
public abstract class MigrationTests(StorageProvider provider)
{
    [Fact]
    public void Migrated_schema_matches_the_model()
    {
        using var migrated = new DataTrustFactory(provider);
        using var fromModel = TestDatabase.Create(provider);
        using (var db = migrated.NewDbContext())
        {
            db.Database.GetPendingMigrations().ShouldBeEmpty();
        }

        using (var db = new DataTrustDbContext(Options(fromModel.ConnectionString, migrated)))
        {
            db.Database.EnsureCreated().ShouldBeTrue();
        }

        var expected = SchemaReader.Read(provider, fromModel.ConnectionString);
        var actual = SchemaReader.Read(provider, migrated.Database.ConnectionString);

        expected.ShouldNotBeEmpty();
        var missing = expected.Except(actual, StringComparer.Ordinal).ToList();
        var unexpected = actual.Except(expected, StringComparer.Ordinal).ToList();
        (missing.Count + unexpected.Count).ShouldBe(0,
            $"Migrations and model differ.\nIn the model but not migrated:\n  {string.Join("\n  ", missing)}\nMigrated but not in the model:\n  {string.Join("\n  ", unexpected)}");
    }

    [Fact]
    public void Migrating_twice_changes_nothing()
    {
        using var factory = new DataTrustFactory(provider);
        factory.Services.ShouldNotBeNull(); // starts the service, which migrates
        var before = SchemaReader.Read(provider, factory.Database.ConnectionString);
        using (var db = factory.NewDbContext())
        {
            db.Database.Migrate();
        }

        SchemaReader.Read(provider, factory.Database.ConnectionString).ShouldBe(before);
    }

    private DbContextOptions<DataTrustDbContext> Options(string connectionString, DataTrustFactory host)
    {
        var builder = new DbContextOptionsBuilder<DataTrustDbContext>();
        StorageServiceCollectionExtensions.Configure(builder, provider, connectionString);
        // The application services carry IdentityOptions (schema version 3), as in the service.
        builder.UseApplicationServiceProvider(host.Services);
        return builder.Options;
    }
}

public sealed class SqliteMigrationTests() : MigrationTests(StorageProvider.Sqlite);

public sealed class PostgresMigrationTests() : MigrationTests(StorageProvider.Postgres);
