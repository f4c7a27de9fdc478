using DataTrust.Audit.Events;
using DataTrust.Audit.Verification;
using DataTrust.Jobs;
using DataTrust.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace DataTrust.Audit;

internal static class AuditServiceCollectionExtensions
{
    public static IServiceCollection AddAudit(this IServiceCollection services)
    {
        services.AddOptions<AuditOptions>().BindConfiguration(AuditOptions.Section);
        services.AddSingleton<AuditPseudonyms>();
        services.AddSingleton<IAuditLog, AuditLog>();
        services.AddSingleton<AuditSigningKeys>();
        services.AddSingleton<CheckpointSealer>();
        services.AddSingleton<LiveAuditVerifier>();
        services.AddSingleton<AuditBundleExporter>();
        services.AddJobHandler<SealCheckpointJob>(SealCheckpointJob.Kind);
        services.AddRecurringJob(SealCheckpointJob.Schedule, SealCheckpointJob.Kind, SealCheckpointJob.Interval);
        return services;
    }

    /// <summary>
    /// Records an action that changes nothing else (an auditor's search, a failed sign-in) in a
    /// transaction of its own. Await it before answering: if the record fails, the action fails.
    /// </summary>
    public static async Task RecordAsync(this IAuditLog log, IDbContextFactory<DataTrustDbContext> contexts, AuditEvent auditEvent, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await log.AppendAsync(db, auditEvent, cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }
}
