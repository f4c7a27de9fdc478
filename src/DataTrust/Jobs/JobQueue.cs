using System.Text.Json;
using DataTrust.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace DataTrust.Jobs;

/// <summary>Optional settings of one enqueue.</summary>
internal sealed record EnqueueOptions
{
    /// <summary>
    /// Unique over all jobs: enqueueing again with the same key returns the existing job instead of
    /// adding one. Prefix it with the kind (<c>mail.send:4711</c>). It is stored in clear text, so build
    /// it from identifiers, never from personal data.
    /// </summary>
    public string? IdempotencyKey { get; init; }

    /// <summary>Not before this instant; now when null.</summary>
    public DateTimeOffset? RunAt { get; init; }

    /// <summary>Attempts before dead-lettering; <c>Jobs:DefaultMaxAttempts</c> when null.</summary>
    public int? MaxAttempts { get; init; }
}

/// <summary>The job an enqueue refers to, and whether this call created it.</summary>
internal sealed record EnqueuedJob(Guid Id, bool Created);

/// <summary>
/// Puts work on the durable queue, in one of two ways:
/// <list type="bullet">
/// <item>standalone (<see cref="EnqueueAsync(string, object?, EnqueueOptions?, CancellationToken)"/>): the job is committed when the call returns;</item>
/// <item>outbox style (<see cref="EnqueueAsync(DataTrustDbContext, string, object?, EnqueueOptions?, CancellationToken)"/>): the job is added to the caller's own context and is
/// committed by the caller's <c>SaveChanges</c>, inside the caller's transaction, atomically with the
/// business change — a rollback leaves no job.</item>
/// </list>
/// </summary>
internal sealed partial class JobQueue(
    IDbContextFactory<DataTrustDbContext> contexts,
    TimeProvider clock,
    IOptions<JobsOptions> options,
    ILogger<JobQueue> logger)
{
    public async Task<EnqueuedJob> EnqueueAsync(string kind, object? payload = null, EnqueueOptions? enqueue = null, CancellationToken cancellationToken = default)
    {
        var job = NewJob(kind, SerializePayload(payload), enqueue);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        db.Add(job);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
            LogEnqueued(logger, job.Id, job.Kind);
            return new EnqueuedJob(job.Id, Created: true);
        }
        catch (DbUpdateException) when (job.IdempotencyKey is not null)
        {
            // Most likely the unique idempotency key: an enqueue with this key committed first.
            await using var lookup = await contexts.CreateDbContextAsync(cancellationToken);
            if (await FindByIdempotencyKeyAsync(lookup, job.IdempotencyKey, cancellationToken) is { } existing)
            {
                return new EnqueuedJob(existing, Created: false);
            }

            throw;
        }
    }

    /// <summary>
    /// Adds a job to <paramref name="db"/> without saving: the caller's <c>SaveChanges</c> (in the
    /// caller's transaction, if any) commits it together with the caller's other changes. When a job
    /// with the same idempotency key already exists, nothing is added and that job is returned; if a
    /// concurrent transaction commits the same key first, the caller's <c>SaveChanges</c> fails on the
    /// unique key and the whole change rolls back, as it should.
    /// </summary>
    public async Task<EnqueuedJob> EnqueueAsync(DataTrustDbContext db, string kind, object? payload = null, EnqueueOptions? enqueue = null, CancellationToken cancellationToken = default)
    {
        var job = NewJob(kind, SerializePayload(payload), enqueue);
        if (job.IdempotencyKey is not null)
        {
            var pending = db.Set<Job>().Local.FirstOrDefault(j => string.Equals(j.IdempotencyKey, job.IdempotencyKey, StringComparison.Ordinal));
            if (pending is not null)
            {
                return new EnqueuedJob(pending.Id, Created: false);
            }

            if (await FindByIdempotencyKeyAsync(db, job.IdempotencyKey, cancellationToken) is { } existing)
            {
                return new EnqueuedJob(existing, Created: false);
            }
        }

        db.Add(job);
        return new EnqueuedJob(job.Id, Created: true);
    }

    internal Job NewJob(string kind, string payloadJson, EnqueueOptions? enqueue)
    {
        JobKinds.Validate(kind);
        var key = enqueue?.IdempotencyKey;
        if (key is not null && (key.Length == 0 || key.Length > Job.IdempotencyKeyMaxLength))
        {
            throw new ArgumentException($"An idempotency key has 1 to {Job.IdempotencyKeyMaxLength} characters.", nameof(enqueue));
        }

        var maxAttempts = enqueue?.MaxAttempts ?? options.Value.DefaultMaxAttempts;
        if (maxAttempts < 1)
        {
            throw new ArgumentException("A job needs at least one attempt.", nameof(enqueue));
        }

        var now = clock.GetUtcNow();
        return new Job
        {
            Id = Guid.CreateVersion7(now),
            Kind = kind,
            Payload = payloadJson,
            IdempotencyKey = key,
            State = JobState.Queued,
            MaxAttempts = maxAttempts,
            CreatedAt = now,
            RunAt = enqueue?.RunAt ?? now,
        };
    }

    internal static string SerializePayload(object? payload) =>
        payload is null ? "{}" : JsonSerializer.Serialize(payload, payload.GetType(), JsonSerializerOptions.Web);

    private static async Task<Guid?> FindByIdempotencyKeyAsync(DataTrustDbContext db, string? key, CancellationToken cancellationToken) =>
        await db.Set<Job>().AsNoTracking()
            .Where(j => j.IdempotencyKey == key)
            .Select(j => (Guid?)j.Id)
            .FirstOrDefaultAsync(cancellationToken);

    [LoggerMessage(EventId = 4001, Level = LogLevel.Debug, Message = "Enqueued job {JobId} of kind {Kind}")]
    private static partial void LogEnqueued(ILogger logger, Guid jobId, string kind);
}
