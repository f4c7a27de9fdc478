using DataTrust.Accounts;
using DataTrust.Persistence;
using DataTrust.Policies;
using DataTrust.Vault.Links;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace DataTrust.Web.Pages.Resident;

/// <summary>The resident links data providers and decides, category by category, what each may store in the vault.</summary>
[Authorize(Policy = AccessPolicies.Resident)]
internal sealed class ProvidersModel(IDbContextFactory<DataTrustDbContext> contexts, ProviderLinks links, DataUsePolicy policy) : ResidentPage
{
    public IReadOnlyList<ProviderInfo> Providers { get; private set; } = [];

    public IReadOnlyList<LinkView> Links { get; private set; } = [];

    public IReadOnlyList<DataCategory> Categories => policy.Categories;

    public string? Error { get; private set; }

    [TempData]
    public string? Done { get; set; }

    public string CategoryName(string id) => policy.FindCategory(id) is { } category ? Local(category.Name) : id;

    public async Task OnGetAsync(CancellationToken cancellationToken) => await LoadAsync(cancellationToken);

    public async Task<IActionResult> OnPostLinkAsync(string? provider, string[]? categories, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var result = await links.LinkAsync(db, ResidentId, provider ?? "", categories ?? [], cancellationToken);
        if (result.Error is not null)
        {
            Error = (categories?.Length ?? 0) == 0
                ? Localization.Text.T("保管してよいデータの種類を1つ以上選んでください。", "Choose at least one kind of data the provider may store.")
                : Localization.Text.T("選んだ提供者またはデータの種類が見つかりません。", "The provider or kind of data you chose was not found.");
            Response.StatusCode = StatusCodes.Status400BadRequest;
            await LoadAsync(cancellationToken);
            return Page();
        }

        Done = Localization.Text.T("連携しました。", "The provider is linked.");
        return RedirectToPage();
    }

    public async Task<IActionResult> OnPostDecideAsync(Guid link, string? category, bool given, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        if (!await links.DecideAsync(db, ResidentId, link, category ?? "", given, cancellationToken))
        {
            return NotFound();
        }

        Done = given ? Localization.Text.T("保管に同意しました。", "Storage consent given.") : Localization.Text.T("保管への同意を取り消しました。", "Storage consent withdrawn.");
        return RedirectToPage();
    }

    public async Task<IActionResult> OnPostUnlinkAsync(Guid link, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        if (!await links.UnlinkAsync(db, ResidentId, link, cancellationToken))
        {
            return NotFound();
        }

        Done = Localization.Text.T("連携を解除しました。", "The provider is unlinked.");
        return RedirectToPage();
    }

    private async Task LoadAsync(CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        Providers = await ProviderLinks.ProvidersAsync(db, cancellationToken);
        Links = await ProviderLinks.ListAsync(db, ResidentId, cancellationToken);
    }
}
