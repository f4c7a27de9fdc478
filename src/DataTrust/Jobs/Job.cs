using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace DataTrust.Jobs;

/// <summary>
/// One unit of background work in the <c>jobs</c> table. A worker owns a running job through a lease:
/// <see cref="LockToken"/> names the claim and <see cref="LockedUntil"/> is renewed by a heartbeat while
/// the handler runs. Every state change a worker makes is conditioned on its lock token, so a worker
/// whose lease expired and was taken over cannot overwrite the new owner's result.
/// </summary>
internal sealed class Job
{
    public const int KindMaxLength = 100;
    public const int IdempotencyKeyMaxLength = 200;
    public const int LastErrorMaxLength = 2000;

    public Guid Id { get; set; }

    /// <summary>Which handler runs it (see <see cref="JobsServiceCollectionExtensions.AddJobHandler{THandler}"/>).</summary>
    public string Kind { get; set; } = "";

    /// <summary>JSON handed to the handler. May hold personal data: never logged, never shown by the admin API.</summary>
    public string Payload { get; set; } = "{}";

    /// <summary>Caller-chosen key, unique over all jobs, so that a retried enqueue creates one job.</summary>
    public string? IdempotencyKey { get; set; }

    /// <summary>The recurring schedule that enqueued this job, if any.</summary>
    public string? ScheduleName { get; set; }

    public JobState State { get; set; }

    /// <summary>Claims so far; incremented when a worker claims the job.</summary>
    public int Attempts { get; set; }

    public int MaxAttempts { get; set; }

    /// <summary>Not before: the job is due from this instant (enqueue time, or the end of a retry backoff).</summary>
    public DateTimeOffset RunAt { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>When the latest attempt was claimed.</summary>
    public DateTimeOffset? StartedAt { get; set; }

    /// <summary>When the job reached <see cref="JobState.Succeeded"/> or <see cref="JobState.DeadLettered"/>.</summary>
    public DateTimeOffset? FinishedAt { get; set; }

    /// <summary>The worker holding the lease (machine:process:random), while running.</summary>
    public string? LockedBy { get; set; }

    /// <summary>Fencing token of the current claim, while running.</summary>
    public Guid? LockToken { get; set; }

    /// <summary>End of the current lease; an expired lease makes a running job claimable again.</summary>
    public DateTimeOffset? LockedUntil { get; set; }

    /// <summary>Exception type and message of the latest failure, for operators.</summary>
    public string? LastError { get; set; }
}

internal enum JobState
{
    /// <summary>Waiting for its first run (or sent back by an operator retry or a shutdown).</summary>
    Queued,

    /// <summary>Claimed by a worker that holds a lease on it.</summary>
    Running,

    Succeeded,

    /// <summary>The latest attempt failed; it runs again at <see cref="Job.RunAt"/>.</summary>
    Failed,

    /// <summary>Failed on every allowed attempt; runs again only when an operator retries it.</summary>
    DeadLettered,
}

/// <summary>The text stored in <c>jobs.state</c> and used by the admin API and the CLI.</summary>
internal static class JobStates
{
    public const string Queued = "queued";
    public const string Running = "running";
    public const string Succeeded = "succeeded";
    public const string Failed = "failed";
    public const string DeadLettered = "dead_lettered";

    public static IReadOnlyList<JobState> All { get; } = Enum.GetValues<JobState>();

    /// <summary>States an operator may send back to the queue.</summary>
    public static IReadOnlyList<JobState> Retryable { get; } = [JobState.Failed, JobState.DeadLettered];

    public static string ToText(this JobState state) => state switch
    {
        JobState.Queued => Queued,
        JobState.Running => Running,
        JobState.Succeeded => Succeeded,
        JobState.Failed => Failed,
        JobState.DeadLettered => DeadLettered,
        _ => throw new ArgumentOutOfRangeException(nameof(state), state, "Unknown job state."),
    };

    public static JobState FromText(string text) =>
        TryParse(text, out var state) ? state : throw new ArgumentOutOfRangeException(nameof(text), text, "Unknown job state.");

    public static bool TryParse(string? text, out JobState state)
    {
        foreach (var candidate in All)
        {
            if (string.Equals(candidate.ToText(), text, StringComparison.Ordinal))
            {
                state = candidate;
                return true;
            }
        }

        state = default;
        return false;
    }
}

internal sealed class JobConfiguration : IEntityTypeConfiguration<Job>
{
    public void Configure(EntityTypeBuilder<Job> job)
    {
        job.ToTable("jobs");
        job.HasKey(j => j.Id);
        job.Property(j => j.Kind).HasMaxLength(Job.KindMaxLength);
        job.Property(j => j.IdempotencyKey).HasMaxLength(Job.IdempotencyKeyMaxLength);
        job.Property(j => j.ScheduleName).HasMaxLength(RecurringJob.NameMaxLength);
        job.Property(j => j.State).HasConversion(s => s.ToText(), text => JobStates.FromText(text)).HasMaxLength(16);
        job.Property(j => j.LockedBy).HasMaxLength(200);
        job.Property(j => j.LastError).HasMaxLength(Job.LastErrorMaxLength);
        job.HasIndex(j => j.IdempotencyKey).IsUnique();
        job.HasIndex(j => new { j.State, j.RunAt });       // claiming due jobs; counts per state
        job.HasIndex(j => new { j.State, j.LockedUntil }); // reclaiming expired leases
        job.HasIndex(j => new { j.Kind, j.CreatedAt });    // the admin list filtered by kind
    }
}
