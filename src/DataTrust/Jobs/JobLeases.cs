using System.Data.Common;
using System.Globalization;
using System.Text;
using DataTrust.Persistence;
using Microsoft.EntityFrameworkCore;

namespace DataTrust.Jobs;

/// <summary>A job a worker has claimed: its lease is named by <see cref="LockToken"/>.</summary>
internal sealed record ClaimedJob(
    Guid Id,
    string Kind,
    string Payload,
    string? IdempotencyKey,
    int Attempt,
    int MaxAttempts,
    string WorkerId,
    Guid LockToken)
{
    /// <summary>Everything but the payload and the idempotency key, which may identify a person.</summary>
    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append(CultureInfo.InvariantCulture, $"Id = {Id}, Kind = {Kind}, Attempt = {Attempt}/{MaxAttempts}, WorkerId = {WorkerId}, LockToken = {LockToken}");
        return true;
    }
}

/// <summary>
/// The lease protocol on the <c>jobs</c> table. Claiming is one statement on both providers
/// (<c>UPDATE … WHERE id IN (SELECT … LIMIT n) RETURNING *</c>); on PostgreSQL the inner select takes
/// <c>FOR UPDATE SKIP LOCKED</c>, so concurrent workers on one database never claim the same row and
/// never wait for each other; SQLite has one writer at a time, which serialises claims by itself.
/// Every later change (renew, succeed, fail, release) is fenced: it applies only while the row still
/// carries this claim's lock token and is running, and reports whether it did.
/// <para>
/// Instants come from the service's clock, so instances must keep their clocks in sync (NTP): skew
/// shorter than the lease can at worst make a job run twice, which handlers tolerate, and the fence
/// keeps the stale worker from recording anything.
/// </para>
/// </summary>
internal sealed class JobLeases(IDbContextFactory<DataTrustDbContext> contexts, TimeProvider clock)
{
    public async Task<IReadOnlyList<ClaimedJob>> ClaimAsync(string workerId, int limit, TimeSpan lease, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var token = Guid.NewGuid();
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var skipLocked = db.IsSqlite ? "" : "FOR UPDATE SKIP LOCKED";
        var sql = $"""
            UPDATE jobs
            SET state = @running, attempts = attempts + 1, started_at = @now,
                locked_by = @worker, lock_token = @token, locked_until = @locked_until
            WHERE id IN (
                SELECT id FROM jobs
                WHERE (state IN (@queued, @failed) AND run_at <= @now)
                   OR (state = @running AND locked_until < @now)
                ORDER BY run_at, id
                LIMIT @limit
                {skipLocked})
            RETURNING *
            """;

        await using var command = db.Database.GetDbConnection().CreateCommand();
        var parameters = new[]
        {
            Parameter(db, command, "@running", nameof(Job.State), JobState.Running),
            Parameter(db, command, "@queued", nameof(Job.State), JobState.Queued),
            Parameter(db, command, "@failed", nameof(Job.State), JobState.Failed),
            Parameter(db, command, "@now", nameof(Job.RunAt), now),
            Parameter(db, command, "@worker", nameof(Job.LockedBy), workerId),
            Parameter(db, command, "@token", nameof(Job.LockToken), token),
            Parameter(db, command, "@locked_until", nameof(Job.LockedUntil), now + lease),
            Parameter(db, command, "@limit", nameof(Job.Attempts), limit),
        };

        var claimed = await db.Set<Job>().FromSqlRaw(sql, parameters).AsNoTracking().ToListAsync(cancellationToken);
        return claimed
            .OrderBy(j => j.RunAt)
            .Select(j => new ClaimedJob(j.Id, j.Kind, j.Payload, j.IdempotencyKey, j.Attempts, j.MaxAttempts, workerId, token))
            .ToList();
    }

    /// <summary>Extends the lease; false when the claim is gone (expired and taken over, or released).</summary>
    public async Task<bool> RenewAsync(ClaimedJob job, TimeSpan lease, CancellationToken cancellationToken)
    {
        var lockedUntil = clock.GetUtcNow() + lease;
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await Held(db, job).ExecuteUpdateAsync(s => s.SetProperty(j => j.LockedUntil, lockedUntil), cancellationToken) == 1;
    }

    public async Task<bool> SucceedAsync(ClaimedJob job, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await Held(db, job).ExecuteUpdateAsync(s => s
            .SetProperty(j => j.State, JobState.Succeeded)
            .SetProperty(j => j.FinishedAt, now)
            .SetProperty(j => j.LockedBy, (string?)null)
            .SetProperty(j => j.LockToken, (Guid?)null)
            .SetProperty(j => j.LockedUntil, (DateTimeOffset?)null), cancellationToken) == 1;
    }

    /// <summary>Records a failed attempt: due again at <paramref name="retryAt"/>, or dead-lettered when it is null.</summary>
    public async Task<bool> FailAsync(ClaimedJob job, string error, DateTimeOffset? retryAt, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var lastError = error.Length <= Job.LastErrorMaxLength ? error : error[..(Job.LastErrorMaxLength - 1)] + "…";
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var held = Held(db, job);
        var updated = retryAt is { } due
            ? await held.ExecuteUpdateAsync(s => s
                .SetProperty(j => j.State, JobState.Failed)
                .SetProperty(j => j.RunAt, due)
                .SetProperty(j => j.LastError, lastError)
                .SetProperty(j => j.LockedBy, (string?)null)
                .SetProperty(j => j.LockToken, (Guid?)null)
                .SetProperty(j => j.LockedUntil, (DateTimeOffset?)null), cancellationToken)
            : await held.ExecuteUpdateAsync(s => s
                .SetProperty(j => j.State, JobState.DeadLettered)
                .SetProperty(j => j.FinishedAt, now)
                .SetProperty(j => j.LastError, lastError)
                .SetProperty(j => j.LockedBy, (string?)null)
                .SetProperty(j => j.LockToken, (Guid?)null)
                .SetProperty(j => j.LockedUntil, (DateTimeOffset?)null), cancellationToken);
        return updated == 1;
    }

    /// <summary>
    /// Gives the job back to the queue, due now, without counting this attempt: used when the worker
    /// shuts down before the handler finished.
    /// </summary>
    public async Task<bool> ReleaseAsync(ClaimedJob job, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await Held(db, job).ExecuteUpdateAsync(s => s
            .SetProperty(j => j.State, JobState.Queued)
            .SetProperty(j => j.Attempts, j => j.Attempts - 1)
            .SetProperty(j => j.RunAt, now)
            .SetProperty(j => j.LockedBy, (string?)null)
            .SetProperty(j => j.LockToken, (Guid?)null)
            .SetProperty(j => j.LockedUntil, (DateTimeOffset?)null), cancellationToken) == 1;
    }

    /// <summary>The job's row while this claim still holds it: the fence.</summary>
    private static IQueryable<Job> Held(DataTrustDbContext db, ClaimedJob job) =>
        db.Set<Job>().Where(j => j.Id == job.Id && j.LockToken == job.LockToken && j.State == JobState.Running);

    /// <summary>A parameter converted exactly as EF Core writes the column (UTC text and upper-case GUID text on SQLite).</summary>
    private static DbParameter Parameter(DataTrustDbContext db, DbCommand command, string name, string property, object value) =>
        db.Model.FindEntityType(typeof(Job))!.FindProperty(property)!.GetRelationalTypeMapping().CreateParameter(command, name, value);
}
