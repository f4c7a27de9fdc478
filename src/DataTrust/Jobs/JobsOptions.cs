using System.ComponentModel.DataAnnotations;

namespace DataTrust.Jobs;

/// <summary>Settings under the <c>Jobs</c> configuration section (e.g. <c>Jobs__PollInterval=00:00:02</c>).</summary>
internal sealed class JobsOptions : IValidatableObject
{
    public const string Section = "Jobs";

    /// <summary>How often an idle worker looks for due jobs and due schedules.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Handlers one worker runs at the same time.</summary>
    [Range(1, 256)]
    public int Concurrency { get; set; } = 4;

    /// <summary>How long a claim stays valid without a heartbeat; a job whose lease expired is claimed again.</summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How often a running job's lease is renewed; well under <see cref="LeaseDuration"/>.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Attempts before a job is dead-lettered, unless the enqueue said otherwise.</summary>
    [Range(1, 1000)]
    public int DefaultMaxAttempts { get; set; } = 8;

    /// <summary>Backoff before the second attempt; doubles with each further attempt.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Upper bound of the backoff.</summary>
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How long succeeded jobs (and their payloads) are kept.</summary>
    public TimeSpan RetainSucceededFor { get; set; } = TimeSpan.FromDays(7);

    /// <summary>How long dead-lettered jobs are kept for operators to inspect and retry.</summary>
    public TimeSpan RetainDeadLetteredFor { get; set; } = TimeSpan.FromDays(30);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (PollInterval <= TimeSpan.Zero)
        {
            yield return new ValidationResult("Jobs:PollInterval must be positive.", [nameof(PollInterval)]);
        }

        if (LeaseDuration <= TimeSpan.Zero || HeartbeatInterval <= TimeSpan.Zero || HeartbeatInterval * 2 > LeaseDuration)
        {
            yield return new ValidationResult(
                "Jobs:HeartbeatInterval must be positive and at most half of Jobs:LeaseDuration, so that a live worker keeps its lease.",
                [nameof(HeartbeatInterval), nameof(LeaseDuration)]);
        }

        if (RetryBaseDelay <= TimeSpan.Zero || RetryMaxDelay < RetryBaseDelay)
        {
            yield return new ValidationResult("Jobs:RetryBaseDelay must be positive and Jobs:RetryMaxDelay at least as long.",
                [nameof(RetryBaseDelay), nameof(RetryMaxDelay)]);
        }

        if (RetainSucceededFor <= TimeSpan.Zero || RetainDeadLetteredFor <= TimeSpan.Zero)
        {
            yield return new ValidationResult("Jobs:RetainSucceededFor and Jobs:RetainDeadLetteredFor must be positive.",
                [nameof(RetainSucceededFor), nameof(RetainDeadLetteredFor)]);
        }
    }
}
