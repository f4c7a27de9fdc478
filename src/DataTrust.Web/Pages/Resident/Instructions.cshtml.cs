using DataTrust.Accounts;
using DataTrust.Consent;
using DataTrust.Identity.Clients;
using DataTrust.Policies;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using static DataTrust.Web.Localization.Text;

namespace DataTrust.Web.Pages.Resident;

/// <summary><c>/resident/instructions</c>: the resident's standing instructions — list, add (allow or never), remove.</summary>
[Authorize(Policy = AccessPolicies.Resident)]
internal sealed class InstructionsModel(StandingInstructions instructions, DataUsePolicy policy) : ResidentPage
{
    public static readonly string[] RecipientKinds = [nameof(ClientKind.BusinessRecipient), nameof(ClientKind.CityOsService)];

    public IReadOnlyList<StandingInstructionView> Rules { get; private set; } = [];

    public DataUsePolicy Policy => policy;

    [TempData]
    public string? Done { get; set; }

    public static string KindName(string kind) => kind == nameof(ClientKind.CityOsService) ? T("市のサービス", "City services") : T("事業者", "Businesses");

    public string Category(string id) => policy.FindCategory(id) is { } c ? Local(c.Name) : id;

    public string Purpose(string id) => policy.FindPurpose(id) is { } p ? Local(p.Title) : id;

    public async Task OnGetAsync(CancellationToken cancellationToken) => Rules = await instructions.ListAsync(ResidentId, cancellationToken);

    public async Task<IActionResult> OnPostAddAsync(string? kind, string[]? purposes, string[]? recipientKinds, string[]? categories, string? maxDuration, CancellationToken cancellationToken)
    {
        try
        {
            await instructions.CreateAsync(ResidentId, new StandingInstructionInput(kind, purposes, recipientKinds, categories, string.IsNullOrEmpty(maxDuration) ? null : maxDuration), cancellationToken);
            Done = T("ルールを追加しました。", "Rule added.");
            return RedirectToPage();
        }
        catch (ConsentException e)
        {
            Refused(e, e.Code switch { "category_unknown" or "sensitive_not_automatic" => "categories", "purpose_unknown" => "purposes", "kind_invalid" => "kind-allow", _ => null });
        }

        await OnGetAsync(cancellationToken);
        return Page();
    }

    public async Task<IActionResult> OnPostRemoveAsync(Guid rule, CancellationToken cancellationToken)
    {
        try
        {
            await instructions.DeleteAsync(ResidentId, rule, cancellationToken);
            Done = T("ルールを削除しました。", "Rule removed.");
            return RedirectToPage();
        }
        catch (ConsentException e)
        {
            Refused(e);
        }

        await OnGetAsync(cancellationToken);
        return Page();
    }
}
