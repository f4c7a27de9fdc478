using DataTrust.Persistence;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace DataTrust.Jobs.Admin;

/// <summary><c>GET /api/admin/jobs?state=&amp;kind=&amp;page=&amp;pageSize=</c>: jobs, newest first, one page at a time.</summary>
internal static class ListJobs
{
    public const int DefaultPageSize = 50;
    public const int MaxPageSize = 200;

    internal sealed record Filter(JobState? State, string? Kind, int Page, int PageSize);

    internal sealed record JobPage(IReadOnlyList<JobSummary> Items, int Page, int PageSize, int Total);

    public static async Task<Results<Ok<JobPage>, ProblemHttpResult>> Handle(
        string? state, string? kind, int? page, int? pageSize, IDbContextFactory<DataTrustDbContext> contexts, CancellationToken cancellationToken)
    {
        if (Parse(state, kind, page, pageSize) is not { } filter)
        {
            return TypedResults.Problem(
                title: "Invalid filter",
                detail: $"state must be one of {string.Join(", ", JobStates.All.Select(s => s.ToText()))}; kind a job kind; page at least 1; pageSize 1 to {MaxPageSize}.",
                statusCode: StatusCodes.Status400BadRequest);
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return TypedResults.Ok(await RunAsync(db, filter, cancellationToken));
    }

    /// <summary>The filter from query values; null when any is malformed.</summary>
    public static Filter? Parse(string? state, string? kind, int? page, int? pageSize)
    {
        JobState? wanted = null;
        if (state is not null)
        {
            if (!JobStates.TryParse(state, out var parsed))
            {
                return null;
            }

            wanted = parsed;
        }

        if (kind is not null && !JobKinds.IsValid(kind))
        {
            return null;
        }

        var size = pageSize ?? DefaultPageSize;
        var number = page ?? 1;
        return number < 1 || size < 1 || size > MaxPageSize ? null : new Filter(wanted, kind, number, size);
    }

    public static async Task<JobPage> RunAsync(DataTrustDbContext db, Filter filter, CancellationToken cancellationToken)
    {
        var jobs = db.Set<Job>().AsNoTracking();
        if (filter.State is { } state)
        {
            jobs = jobs.Where(j => j.State == state);
        }

        if (filter.Kind is { } kind)
        {
            jobs = jobs.Where(j => j.Kind == kind);
        }

        var total = await jobs.CountAsync(cancellationToken);
        var items = await jobs
            .OrderByDescending(j => j.CreatedAt).ThenByDescending(j => j.Id)
            .Skip((filter.Page - 1) * filter.PageSize).Take(filter.PageSize)
            .ToSummaries()
            .ToListAsync(cancellationToken);
        return new JobPage(items, filter.Page, filter.PageSize, total);
    }
}
