using DataTrust.Jobs;

namespace DataTrust.Consent;

/// <summary>Every few minutes: consents past their end become <c>expired</c> (version, event, receipt, audit, webhook). Idempotent.</summary>
internal sealed class ExpireConsentsJob(ConsentLedger ledger) : IJobHandler
{
    public const string Kind = "consent.expire";
    public const string Schedule = "consent-expire";

    public Task HandleAsync(JobContext job, CancellationToken cancellationToken) => ledger.ExpireDueAsync(cancellationToken);
}
