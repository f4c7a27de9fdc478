using DataTrust.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace DataTrust.Jobs;

/// <summary>
/// Hourly: deletes succeeded jobs older than <c>Jobs:RetainSucceededFor</c> and dead-lettered jobs older
/// than <c>Jobs:RetainDeadLetteredFor</c>, so that payloads do not outlive their use. Idempotent: a
/// second run finds nothing more to delete.
/// </summary>
internal sealed partial class PurgeFinishedJobs(
    IDbContextFactory<DataTrustDbContext> contexts,
    TimeProvider clock,
    IOptions<JobsOptions> options,
    ILogger<PurgeFinishedJobs> logger) : IJobHandler
{
    public const string Kind = "jobs.purge-finished";
    public const string Schedule = "jobs-purge-finished";

    public async Task HandleAsync(JobContext job, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        DateTimeOffset? succeededBefore = now - options.Value.RetainSucceededFor;
        DateTimeOffset? deadLetteredBefore = now - options.Value.RetainDeadLetteredFor;
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var deleted = await db.Set<Job>()
            .Where(j => (j.State == JobState.Succeeded && j.FinishedAt < succeededBefore)
                || (j.State == JobState.DeadLettered && j.FinishedAt < deadLetteredBefore))
            .ExecuteDeleteAsync(cancellationToken);
        LogPurged(logger, deleted);
    }

    [LoggerMessage(EventId = 4060, Level = LogLevel.Information, Message = "Purged {Count} finished job(s) past their retention")]
    private static partial void LogPurged(ILogger logger, int count);
}
