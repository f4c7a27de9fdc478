using DataTrust.Consent;
using DataTrust.Jobs.Admin;
using DataTrust.Persistence;
using Microsoft.EntityFrameworkCore;

namespace DataTrust.Web.Pages.Admin;

/// <summary><c>/admin</c>: what waits for the operators: recipients and data requests to review, jobs by state.</summary>
internal sealed class IndexModel(DataTrustDbContext db) : OperatorPage
{
    public int PendingRecipients { get; private set; }

    public int SubmittedRequests { get; private set; }

    public CountJobs.JobCounts Jobs { get; private set; } = null!;

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        PendingRecipients = await db.Set<Recipient>().CountAsync(r => r.Status == RecipientStatus.Pending, cancellationToken);
        SubmittedRequests = await db.Set<DataRequest>().CountAsync(r => r.State == DataRequestState.Submitted, cancellationToken);
        Jobs = await CountJobs.RunAsync(db, cancellationToken);
    }
}
