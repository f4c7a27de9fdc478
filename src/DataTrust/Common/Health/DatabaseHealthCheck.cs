using DataTrust.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace DataTrust.Common.Health;

/// <summary>Ready when the database answers and its schema is the newest this build knows.</summary>
internal sealed class DatabaseHealthCheck(IDbContextFactory<DataTrustDbContext> contexts, StorageSettings storage) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var data = new Dictionary<string, object>(StringComparer.Ordinal) { ["provider"] = storage.Provider.ToString() };
        try
        {
            await using var db = await contexts.CreateDbContextAsync(cancellationToken);
            if (!await db.Database.CanConnectAsync(cancellationToken))
            {
                return HealthCheckResult.Unhealthy("The database cannot be reached.", data: data);
            }

            var pending = (await db.Database.GetPendingMigrationsAsync(cancellationToken)).Count();
            data["pendingMigrations"] = pending;
            return pending == 0
                ? HealthCheckResult.Healthy("The database answers and its schema is current.", data)
                : HealthCheckResult.Unhealthy($"The database schema is {pending} migration(s) behind.", data: data);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The exception text can name hosts and users; report only its kind.
            return HealthCheckResult.Unhealthy($"The database check failed ({ex.GetType().Name}).", data: data);
        }
    }
}
