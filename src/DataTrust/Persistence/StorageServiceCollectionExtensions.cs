using System.Data.Common;
using DataTrust.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace DataTrust.Persistence;

internal static class StorageServiceCollectionExtensions
{
    public const string ConnectionStringName = "DataTrust";

    private const int DefaultMaxAutoPrepare = 50;
    private const string GenericPlans = "-c plan_cache_mode=force_generic_plan";

    /// <summary>
    /// Registers the context factory and the scoped context, both served from a pool: a context is reset
    /// and reused instead of being built per request (the context carries no state of its own). Settings
    /// are read when the first context is made, not now, so that configuration added late (test hosts,
    /// environment) is honoured.
    /// </summary>
    public static IServiceCollection AddDataTrustStorage(this IServiceCollection services)
    {
        services.AddSingleton(provider => Resolve(provider.GetRequiredService<IConfiguration>()));
        services.AddPooledDbContextFactory<DataTrustDbContext>((provider, options) =>
        {
            var settings = provider.GetRequiredService<StorageSettings>();
            Configure(options, settings.Provider, settings.ConnectionString);
        });
        services.AddScoped<DatabaseMigrator>();
        return services;
    }

    internal static StorageSettings Resolve(IConfiguration configuration)
    {
        var configured = configuration[$"{StorageOptions.Section}:{nameof(StorageOptions.Provider)}"];
        var provider = StorageProvider.Sqlite;
        if (!string.IsNullOrWhiteSpace(configured) && !Enum.TryParse(configured, ignoreCase: true, out provider))
        {
            throw new StartupException($"Storage:Provider is '{configured}': use Sqlite (the embedded default) or Postgres.");
        }

        var dataDirectory = configuration.GetSection(DataTrustOptions.Section).Get<DataTrustOptions>()?.DataDirectory ?? "./data";
        return new StorageSettings(provider, ResolveConnectionString(provider, configuration.GetConnectionString(ConnectionStringName), dataDirectory));
    }

    internal static void Configure(DbContextOptionsBuilder options, StorageProvider provider, string connectionString)
    {
        switch (provider)
        {
            case StorageProvider.Sqlite:
                options.UseSqlite(connectionString);
                break;
            case StorageProvider.Postgres:
                options.UseNpgsql(WithPoolDefaults(connectionString));
                break;
            default:
                throw new StartupException($"Storage:Provider '{provider}' is not supported: use Sqlite or Postgres.");
        }

        // Migrations are written by hand (no design-time tooling here) and have no model snapshot;
        // the test suite proves instead that a migrated database matches the model.
        options.ConfigureWarnings(w => w.Ignore(RelationalEventId.PendingModelChangesWarning));
    }

    /// <summary>
    /// Unless the operator chose otherwise for each:
    /// <list type="bullet">
    /// <item>Npgsql prepares the statements a connection runs often (the per-request token, consent and record
    /// reads), which spares PostgreSQL parsing and planning them every time. Prepared statements live on pooled
    /// connections; the schema only changes at start-up (migrations), before any request.</item>
    /// <item>A pooled connection is not reset when it goes back to the pool. The reset is six statements
    /// (<c>RESET ALL</c>, <c>UNLISTEN *</c>, …) that PostgreSQL parses on the next use, several times per request,
    /// and DataTrust never changes session state: no <c>SET</c>, <c>LISTEN</c>, advisory or temporary objects. An
    /// unfinished transaction is still rolled back when its connection is returned.</item>
    /// <item>PostgreSQL plans each prepared statement once (<c>plan_cache_mode=force_generic_plan</c>). Its own
    /// heuristic re-plans statements with an array parameter (<c>= ANY($1)</c>: the record and consent reads of
    /// every release) on every execution, which cost more than running them; DataTrust's statements are
    /// indexed lookups whose best plan does not depend on the values.</item>
    /// </list>
    /// </summary>
    internal static string WithPoolDefaults(string connectionString)
    {
        var given = new DbConnectionStringBuilder { ConnectionString = connectionString };
        var result = new NpgsqlConnectionStringBuilder(connectionString);
        if (!given.ContainsKey("Max Auto Prepare") && !given.ContainsKey("MaxAutoPrepare"))
        {
            result.MaxAutoPrepare = DefaultMaxAutoPrepare;
        }

        if (!given.ContainsKey("No Reset On Close") && !given.ContainsKey("NoResetOnClose"))
        {
            result.NoResetOnClose = true;
        }

        if (result.Options?.Contains("plan_cache_mode", StringComparison.Ordinal) != true)
        {
            result.Options = (result.Options + " " + GenericPlans).Trim();
        }

        return result.ConnectionString;
    }

    private static string ResolveConnectionString(StorageProvider provider, string? configured, string dataDirectory)
    {
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return configured;
        }

        return provider switch
        {
            StorageProvider.Sqlite => $"Data Source={Path.Combine(Path.GetFullPath(dataDirectory), "datatrust.db")}",
            _ => throw new StartupException(
                $"Storage:Provider is {provider} but ConnectionStrings:{ConnectionStringName} is not set. " +
                "Set it, e.g. ConnectionStrings__DataTrust='Host=db;Database=datatrust;Username=datatrust;Password=…'."),
        };
    }
}

/// <summary>The storage in use, resolved once at start-up.</summary>
internal sealed record StorageSettings(StorageProvider Provider, string ConnectionString);
