using DataTrust.Audit;
using DataTrust.Audit.Events;
using DataTrust.Jobs;
using DataTrust.Persistence;
using DataTrust.Policies;
using DataTrust.Vault.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace DataTrust.Vault.Retention;

/// <summary>
/// Hourly: deletes records older than their category's <c>retention</c> (categories.yaml), one
/// <see cref="RecordDeleted"/> entry (reason <c>retention</c>) per record deleted, in the same transaction, a batch
/// per transaction. Idempotent: a record is audited only by the run whose delete removed it, so a rerun after a
/// crash neither deletes nor audits twice. Also drops deposit idempotency receipts past their retention.
/// Records of categories no longer in the policy are left alone (an operator decides).
/// </summary>
internal sealed class RecordRetentionJob(
    IDbContextFactory<DataTrustDbContext> contexts, DataUsePolicy policy, IAuditLog audit, TimeProvider time, ILogger<RecordRetentionJob> logger) : IJobHandler
{
    public const string Kind = "vault.retention";
    public const string Schedule = "vault-retention";
    private const int BatchSize = 500;
    private static readonly AuditActor Actor = AuditActor.System("jobs/vault-retention");

    public async Task HandleAsync(JobContext job, CancellationToken cancellationToken) => await RunAsync(cancellationToken);

    /// <summary>Returns the number of records deleted.</summary>
    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var deleted = 0;
        foreach (var category in policy.Categories)
        {
            var retention = category.Retention;
            var cutoff = now.AddYears(-retention.Years).AddMonths(-retention.Months).AddDays(-retention.Days);
            while (true)
            {
                await using var db = await contexts.CreateDbContextAsync(cancellationToken);
                await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
                var expired = await db.Set<VaultRecord>().AsNoTracking()
                    .Where(r => r.CategoryId == category.Id && r.CreatedAt < cutoff)
                    .OrderBy(r => r.CreatedAt)
                    .Select(r => new { r.Id, r.ResidentId })
                    .Take(BatchSize)
                    .ToListAsync(cancellationToken);
                if (expired.Count == 0)
                {
                    break;
                }

                var events = new List<AuditEvent>();
                foreach (var record in expired)
                {
                    if (await db.Set<VaultRecord>().Where(r => r.Id == record.Id).ExecuteDeleteAsync(cancellationToken) == 1)
                    {
                        events.Add(new RecordDeleted(Actor, record.ResidentId, record.Id, category.Id, RecordDeleted.ByRetention));
                    }
                }

                await audit.AppendAsync(db, events, cancellationToken);
                await db.SaveChangesAsync(cancellationToken);
                await transaction.CommitAsync(cancellationToken);
                deleted += events.Count;
            }
        }

        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            var receiptCutoff = now - VaultDeposit.RetentionPeriod;
            await db.Set<VaultDeposit>().Where(d => d.CreatedAt < receiptCutoff).ExecuteDeleteAsync(cancellationToken);
        }

        if (deleted > 0)
        {
            logger.LogInformation("Retention deleted {Count} vault record(s) past their category's retention.", deleted);
        }

        return deleted;
    }
}
