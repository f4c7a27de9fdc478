using DataTrust.Accounts;
using DataTrust.Consent;
using Microsoft.AspNetCore.Authorization;

namespace DataTrust.Web.Pages.Resident;

/// <summary><c>/resident</c>: the resident's start page — what waits for an answer, what is shared now, and where to go.</summary>
[Authorize(Policy = AccessPolicies.Resident)]
internal sealed class IndexModel(ConsentLedger ledger) : ResidentPage
{
    public int Waiting { get; private set; }

    public int Active { get; private set; }

    public int Paused { get; private set; }

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        var consents = await ledger.ListAsync(ResidentId, null, cancellationToken);
        Waiting = consents.Count(c => c.State == "requested");
        Active = consents.Count(c => c.State == "given");
        Paused = consents.Count(c => c.State == "paused");
    }
}
