using DataTrust.Jobs;

namespace DataTrust.Audit;

/// <summary>
/// Seals a signed checkpoint over the audit log every few minutes, when it has grown. Idempotent:
/// a second run over the same tree size seals nothing new.
/// </summary>
internal sealed class SealCheckpointJob(CheckpointSealer sealer) : IJobHandler
{
    public const string Kind = "audit.seal-checkpoint";
    public const string Schedule = "audit-checkpoint";
    public static readonly TimeSpan Interval = TimeSpan.FromMinutes(5);

    public Task HandleAsync(JobContext job, CancellationToken cancellationToken) => sealer.SealForScheduleAsync(cancellationToken);
}
