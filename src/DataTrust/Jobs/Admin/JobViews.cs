namespace DataTrust.Jobs.Admin;

/// <summary>A job in a list. Payloads are never shown: they may hold personal data.</summary>
internal sealed record JobSummary(
    Guid Id,
    string Kind,
    string State,
    int Attempts,
    int MaxAttempts,
    string? ScheduleName,
    DateTimeOffset CreatedAt,
    DateTimeOffset RunAt,
    DateTimeOffset? FinishedAt);

/// <summary>
/// One job for an operator. The payload is shown only as its length (characters of JSON), and the
/// idempotency key only as present or not: both come from callers and may identify a person.
/// </summary>
internal sealed record JobDetail(
    Guid Id,
    string Kind,
    string State,
    int Attempts,
    int MaxAttempts,
    string? ScheduleName,
    DateTimeOffset CreatedAt,
    DateTimeOffset RunAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    string? LockedBy,
    DateTimeOffset? LockedUntil,
    string? LastError,
    int PayloadLength,
    bool HasIdempotencyKey);

internal static class JobViews
{
    public static IQueryable<JobSummary> ToSummaries(this IQueryable<Job> jobs) =>
        jobs.Select(j => new JobSummary(j.Id, j.Kind, StateText(j.State), j.Attempts, j.MaxAttempts, j.ScheduleName, j.CreatedAt, j.RunAt, j.FinishedAt));

    public static IQueryable<JobDetail> ToDetails(this IQueryable<Job> jobs) =>
        jobs.Select(j => new JobDetail(
            j.Id, j.Kind, StateText(j.State), j.Attempts, j.MaxAttempts, j.ScheduleName, j.CreatedAt, j.RunAt, j.StartedAt, j.FinishedAt,
            j.LockedBy, j.LockedUntil, j.LastError, j.Payload.Length, j.IdempotencyKey != null));

    private static string StateText(JobState state) => state.ToText();
}
