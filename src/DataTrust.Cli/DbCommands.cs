using System.CommandLine;
using DataTrust.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace DataTrust.Cli;

/// <summary><c>datatrust db migrate</c> and <c>datatrust db status</c>.</summary>
internal static class DbCommands
{
    public static Command Create()
    {
        var migrate = new Command("migrate", "Bring the database schema to the newest version (the service also does this at start-up).");
        migrate.SetAction((parse, cancellationToken) => CliHost.Run(parse, async (services, _, ct) =>
        {
            await services.GetRequiredService<DatabaseMigrator>().MigrateAsync(ct);
            Console.WriteLine("The database schema is current.");
            return 0;
        }, cancellationToken));

        var status = new Command("status", "Show the storage provider and which migrations are applied or pending.");
        status.SetAction((parse, cancellationToken) => CliHost.Run(parse, async (services, _, ct) =>
        {
            var storage = services.GetRequiredService<StorageSettings>();
            await using var db = await services.GetRequiredService<IDbContextFactory<DataTrustDbContext>>().CreateDbContextAsync(ct);
            try
            {
                var applied = (await db.Database.GetAppliedMigrationsAsync(ct)).ToList();
                var pending = (await db.Database.GetPendingMigrationsAsync(ct)).ToList();
                Console.WriteLine($"provider: {storage.Provider}");
                applied.ForEach(m => Console.WriteLine($"applied:  {m}"));
                pending.ForEach(m => Console.WriteLine($"pending:  {m}"));
                return pending.Count == 0 ? 0 : 2;
            }
            catch (Exception ex) when (services.GetRequiredService<DatabaseMigrator>().Describe(ex) is { } message)
            {
                await Console.Error.WriteLineAsync($"datatrust: {message}");
                return 1;
            }
        }, cancellationToken));

        return new Command("db", "Database schema.") { migrate, status };
    }
}
