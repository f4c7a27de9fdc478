using DataTrust.Persistence;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace DataTrust.Jobs.Admin;

/// <summary><c>GET /api/admin/jobs/schedules</c>: the recurring schedules and when each fires next.</summary>
internal static class ListRecurringJobs
{
    internal sealed record Schedule(string Name, string Kind, TimeSpan Interval, DateTimeOffset NextRunAt, DateTimeOffset? LastEnqueuedAt, Guid? LastJobId);

    public static async Task<Ok<List<Schedule>>> Handle(IDbContextFactory<DataTrustDbContext> contexts, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var schedules = await db.Set<RecurringJob>().AsNoTracking()
            .OrderBy(s => s.Name)
            .Select(s => new Schedule(s.Name, s.Kind, s.RepeatInterval, s.NextRunAt, s.LastEnqueuedAt, s.LastJobId))
            .ToListAsync(cancellationToken);
        return TypedResults.Ok(schedules);
    }
}
