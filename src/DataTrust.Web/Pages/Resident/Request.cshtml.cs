using DataTrust.Accounts;
using DataTrust.Consent;
using DataTrust.Persistence;
using DataTrust.Policies;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using static DataTrust.Web.Localization.Text;

namespace DataTrust.Web.Pages.Resident;

/// <summary>
/// <c>/resident/requests/{id}</c>: one published request in plain words; the resident grants it
/// (narrowed: fewer categories, a shorter period) or refuses it. Answers an inbox request for it, if any.
/// </summary>
[Authorize(Policy = AccessPolicies.Resident)]
internal sealed class RequestModel(ConsentLedger ledger, DataRequests requests, IDbContextFactory<DataTrustDbContext> contexts, DataUsePolicy policy) : ResidentPage
{
    public ConsentTerms Terms { get; private set; } = null!;

    public async Task<IActionResult> OnGetAsync(Guid id, CancellationToken cancellationToken) =>
        await LoadAsync(id, cancellationToken) ? Page() : NotFound();

    public async Task<IActionResult> OnPostGrantAsync(Guid id, string[]? categories, string? duration, CancellationToken cancellationToken)
    {
        try
        {
            var consent = await ledger.GrantAsync(ResidentId, id, new ConsentNarrowing(categories ?? [], duration), null, cancellationToken);
            TempData["Done"] = T("同意しました。同意の記録（レシート）を発行しました。", "Consent given. A consent receipt was issued.");
            return Redirect($"/resident/consents/{consent.Id}");
        }
        catch (ConsentException e)
        {
            Refused(e, e.Code == "narrowing_empty" ? "categories" : null);
        }

        return await LoadAsync(id, cancellationToken) ? Page() : NotFound();
    }

    public async Task<IActionResult> OnPostRefuseAsync(Guid id, CancellationToken cancellationToken)
    {
        try
        {
            await ledger.DenyAsync(ResidentId, id, cancellationToken);
            TempData["Done"] = T("お断りしました。データは渡りません。", "Refused. Nothing will be shared.");
            return Redirect("/resident/consents");
        }
        catch (ConsentException e)
        {
            Refused(e);
        }

        return await LoadAsync(id, cancellationToken) ? Page() : NotFound();
    }

    private async Task<bool> LoadAsync(Guid id, CancellationToken cancellationToken)
    {
        DataRequestView request;
        try
        {
            request = await requests.GetAsync(id, cancellationToken);
        }
        catch (ConsentException)
        {
            return false;
        }

        if (request.State != "approved")
        {
            return false;
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var words = await ConsentText.LoadAsync(db, policy, cancellationToken);
        Terms = new ConsentTerms(words, request.ClientId, request.PurposeId, request.Categories, request.Duration, request.AccessMode,
            request.MaxReleasesPerPeriod, request.FrequencyPeriod, request.Benefit, request.Explanation, Narrowable: true);
        return true;
    }
}
