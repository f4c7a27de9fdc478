using DataTrust.Accounts;
using DataTrust.Consent;
using DataTrust.Persistence;
using DataTrust.Policies;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace DataTrust.Web.Pages.Resident;

/// <summary><c>/resident/consents/{id}</c>: one consent's terms, its full history of versions, its receipts, and what the resident can do with it.</summary>
[Authorize(Policy = AccessPolicies.Resident)]
internal sealed class ConsentModel(ConsentLedger ledger, IDbContextFactory<DataTrustDbContext> contexts, DataUsePolicy policy) : ResidentPage
{
    public ConsentView Consent { get; private set; } = null!;

    public IReadOnlyList<ReceiptView> Receipts { get; private set; } = [];

    public ConsentTerms Terms { get; private set; } = null!;

    [TempData]
    public string? Done { get; set; }

    public async Task<IActionResult> OnGetAsync(Guid id, CancellationToken cancellationToken)
    {
        try
        {
            Consent = await ledger.GetAsync(ResidentId, id, cancellationToken);
            Receipts = await ledger.ReceiptsAsync(ResidentId, id, cancellationToken);
        }
        catch (ConsentException)
        {
            return NotFound();
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var words = await ConsentText.LoadAsync(db, policy, cancellationToken);
        Terms = new ConsentTerms(words, Consent.ClientId, Consent.PurposeId, Consent.Categories, Consent.Duration, Consent.AccessMode,
            Consent.MaxReleasesPerPeriod, Consent.FrequencyPeriod, null, null, Narrowable: false);
        return Page();
    }
}
