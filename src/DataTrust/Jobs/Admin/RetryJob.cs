using System.Security.Claims;
using DataTrust.Audit;
using DataTrust.Audit.Events;
using DataTrust.Persistence;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace DataTrust.Jobs.Admin;

/// <summary>
/// <c>POST /api/admin/jobs/{id}/retry</c> and <c>datatrust jobs retry ID</c>: sends a failed or
/// dead-lettered job back to the queue, due now, with a fresh set of attempts. Any other state is
/// left as it is (409): a queued or running job will run anyway, a succeeded one must not run again.
/// </summary>
internal static partial class RetryJob
{
    internal enum Outcome
    {
        Retried,
        NotFound,
        NotRetryable,
    }

    internal sealed record Result(Outcome Outcome, JobState? State);

    public static async Task<Results<Ok<JobDetail>, ProblemHttpResult>> Handle(
        string id,
        ClaimsPrincipal user,
        IDbContextFactory<DataTrustDbContext> contexts,
        IAuditLog audit,
        TimeProvider clock,
        ILoggerFactory loggers,
        CancellationToken cancellationToken)
    {
        if (!Guid.TryParse(id, out var jobId))
        {
            return JobProblems.MalformedId();
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var actor = AuditActor.FromUser(user, AuditActorType.Operator) ?? throw new InvalidOperationException("An operator retries jobs.");
        var result = await RunAsync(db, audit, actor, jobId, clock.GetUtcNow(), cancellationToken);

        switch (result.Outcome)
        {
            case Outcome.NotFound:
                return JobProblems.NotFound(jobId);
            case Outcome.NotRetryable:
                return TypedResults.Problem(
                    title: "Job not retryable",
                    detail: $"Job {jobId} is {result.State!.Value.ToText()}; only failed or dead-lettered jobs can be retried.",
                    statusCode: StatusCodes.Status409Conflict);
            default:
                LogRetried(loggers.CreateLogger("DataTrust.Jobs.Admin"), jobId, user.FindFirstValue(ClaimTypes.NameIdentifier) ?? "unknown");
                return TypedResults.Ok((await GetJob.RunAsync(db, jobId, cancellationToken))!);
        }
    }

    /// <summary>Requeues the job and records who did it, in one transaction.</summary>
    public static async Task<Result> RunAsync(DataTrustDbContext db, IAuditLog audit, AuditActor actor, Guid id, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var retried = await db.Set<Job>()
            .Where(j => j.Id == id && (j.State == JobState.Failed || j.State == JobState.DeadLettered))
            .ExecuteUpdateAsync(s => s
                .SetProperty(j => j.State, JobState.Queued)
                .SetProperty(j => j.Attempts, 0)
                .SetProperty(j => j.RunAt, now)
                .SetProperty(j => j.FinishedAt, (DateTimeOffset?)null), cancellationToken);
        if (retried == 1)
        {
            await audit.AppendAsync(db, new AdminChanged(actor, "job.retry", new AuditObject("job", id.ToString("D"))), cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return new Result(Outcome.Retried, JobState.Queued);
        }

        var state = await db.Set<Job>().AsNoTracking().Where(j => j.Id == id).Select(j => (JobState?)j.State).FirstOrDefaultAsync(cancellationToken);
        return state is null ? new Result(Outcome.NotFound, null) : new Result(Outcome.NotRetryable, state);
    }

    [LoggerMessage(EventId = 4050, Level = LogLevel.Information, Message = "Operator {OperatorId} retried job {JobId}")]
    private static partial void LogRetried(ILogger logger, Guid jobId, string operatorId);
}
