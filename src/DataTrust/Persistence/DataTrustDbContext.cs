using DataTrust.Accounts;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;

namespace DataTrust.Persistence;

/// <summary>
/// The one EF Core model, shared by SQLite and PostgreSQL. Capabilities contribute their entities
/// through <see cref="IEntityTypeConfiguration{TEntity}"/> classes in this assembly.
/// </summary>
public sealed class DataTrustDbContext(DbContextOptions<DataTrustDbContext> options)
    : IdentityDbContext<UserAccount, IdentityRole<Guid>, Guid>(options)
{
    internal bool IsSqlite => Database.ProviderName == "Microsoft.EntityFrameworkCore.Sqlite";

    protected override void OnModelCreating(ModelBuilder builder)
    {
        // Identity reads its schema version (3: with passkeys) from IdentityOptions in the
        // application services; see AddAccounts.
        base.OnModelCreating(builder);
        builder.ApplyConfigurationsFromAssembly(typeof(DataTrustDbContext).Assembly);
        IdentityTables.Rename(builder);
        SnakeCaseNaming.Apply(builder);
    }

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        if (IsSqlite)
        {
            // SQLite has no timestamp type: store UTC instants as fixed-width ISO 8601 text so that
            // comparison and ordering in SQL follow time.
            configurationBuilder.Properties<DateTimeOffset>().HaveConversion<UtcTextConverter>();
            configurationBuilder.Properties<DateTimeOffset?>().HaveConversion<UtcTextConverter>();
        }
    }
}
