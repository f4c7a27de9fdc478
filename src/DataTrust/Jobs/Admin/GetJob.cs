using DataTrust.Persistence;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace DataTrust.Jobs.Admin;

/// <summary><c>GET /api/admin/jobs/{id}</c>: one job's state, attempts, last error and timestamps.</summary>
internal static class GetJob
{
    public static async Task<Results<Ok<JobDetail>, ProblemHttpResult>> Handle(
        string id, IDbContextFactory<DataTrustDbContext> contexts, CancellationToken cancellationToken)
    {
        if (!Guid.TryParse(id, out var jobId))
        {
            return JobProblems.MalformedId();
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await RunAsync(db, jobId, cancellationToken) is { } job ? TypedResults.Ok(job) : JobProblems.NotFound(jobId);
    }

    public static Task<JobDetail?> RunAsync(DataTrustDbContext db, Guid id, CancellationToken cancellationToken) =>
        db.Set<Job>().AsNoTracking().Where(j => j.Id == id).ToDetails().FirstOrDefaultAsync(cancellationToken);
}

internal static class JobProblems
{
    public static ProblemHttpResult MalformedId() => TypedResults.Problem(
        title: "Malformed job id", detail: "A job id is a UUID, like 0199a3c2-7d1e-7b2a-9c41-5e8f0a6b1d23.", statusCode: StatusCodes.Status400BadRequest);

    public static ProblemHttpResult NotFound(Guid id) => TypedResults.Problem(
        title: "Job not found", detail: $"There is no job {id}.", statusCode: StatusCodes.Status404NotFound);
}
