using DataTrust.Jobs;

namespace DataTrust.Identity.Maintenance;

/// <summary>Hourly: deletes expired codes, PAR requests, tokens and replay-cache rows. Idempotent by nature.</summary>
internal sealed class PurgeExpiredProtocolRecordsJob(ExpiredProtocolRecords records) : IJobHandler
{
    public const string Kind = "identity.purge-expired";
    public const string Schedule = "identity-purge-expired";

    public Task HandleAsync(JobContext job, CancellationToken cancellationToken) => records.PurgeAsync(cancellationToken);
}
