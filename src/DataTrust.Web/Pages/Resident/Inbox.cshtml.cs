using DataTrust.Accounts;
using DataTrust.Consent;
using DataTrust.Persistence;
using DataTrust.Policies;
using Microsoft.AspNetCore.Authorization;
using Microsoft.EntityFrameworkCore;

namespace DataTrust.Web.Pages.Resident;

/// <summary><c>/resident/inbox</c>: requests recipients sent the resident, and published requests the resident may join.</summary>
[Authorize(Policy = AccessPolicies.Resident)]
internal sealed class InboxModel(ConsentLedger ledger, DataRequests requests, IDbContextFactory<DataTrustDbContext> contexts, DataUsePolicy policy) : ResidentPage
{
    public IReadOnlyList<ConsentView> Waiting { get; private set; } = [];

    public IReadOnlyList<DataRequestView> Available { get; private set; } = [];

    public ConsentText Words { get; private set; } = null!;

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        Waiting = await ledger.InboxAsync(ResidentId, cancellationToken);
        // A request with a live consent is answered (or waiting above); one refused or withdrawn may be joined again.
        var decided = (await ledger.ListAsync(ResidentId, null, cancellationToken)).Where(c => c.State is "requested" or "given" or "paused").Select(c => c.DataRequestId).ToHashSet();
        Available = [.. (await requests.ListPublishedAsync(cancellationToken)).Where(r => !decided.Contains(r.Id))];
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        Words = await ConsentText.LoadAsync(db, policy, cancellationToken);
    }
}
