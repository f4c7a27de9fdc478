using DataTrust.Accounts;
using DataTrust.Consent;
using DataTrust.Persistence;
using DataTrust.Policies;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace DataTrust.Web.Pages.Resident;

/// <summary><c>/resident/consents</c>: consents in force (given, paused) and past ones (refused, withdrawn, expired).</summary>
[Authorize(Policy = AccessPolicies.Resident)]
internal sealed class ConsentsModel(ConsentLedger ledger, IDbContextFactory<DataTrustDbContext> contexts, DataUsePolicy policy) : ResidentPage
{
    public IReadOnlyList<ConsentView> Current { get; private set; } = [];

    public IReadOnlyList<ConsentView> Past { get; private set; } = [];

    public ConsentText Words { get; private set; } = null!;

    [TempData]
    public string? Done { get; set; }

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        var all = await ledger.ListAsync(ResidentId, null, cancellationToken);
        Current = [.. all.Where(c => c.State is "given" or "paused")];
        Past = [.. all.Where(c => c.State is "refused" or "withdrawn" or "expired")];
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        Words = await ConsentText.LoadAsync(db, policy, cancellationToken);
        return Page();
    }
}
