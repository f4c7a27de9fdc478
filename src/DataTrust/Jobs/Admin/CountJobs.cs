using DataTrust.Persistence;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace DataTrust.Jobs.Admin;

/// <summary><c>GET /api/admin/jobs/counts</c>: how many jobs are in each state (every state listed, zeros included).</summary>
internal static class CountJobs
{
    internal sealed record JobCounts(IReadOnlyDictionary<string, int> ByState, int Total);

    public static async Task<Ok<JobCounts>> Handle(IDbContextFactory<DataTrustDbContext> contexts, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return TypedResults.Ok(await RunAsync(db, cancellationToken));
    }

    public static async Task<JobCounts> RunAsync(DataTrustDbContext db, CancellationToken cancellationToken)
    {
        var counted = await db.Set<Job>().AsNoTracking()
            .GroupBy(j => j.State)
            .Select(g => new { State = g.Key, Count = g.Count() })
            .ToListAsync(cancellationToken);
        var byState = JobStates.All.ToDictionary(
            s => s.ToText(),
            s => counted.Where(c => c.State == s).Sum(c => c.Count),
            StringComparer.Ordinal);
        return new JobCounts(byState, byState.Values.Sum());
    }
}
