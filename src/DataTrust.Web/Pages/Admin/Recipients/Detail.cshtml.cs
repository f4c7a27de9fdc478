using DataTrust.Consent;
using DataTrust.Policies;
using Microsoft.AspNetCore.Mvc;

namespace DataTrust.Web.Pages.Admin.Recipients;

/// <summary>
/// <c>/admin/recipients/{clientId}</c>: the ethics board's decision on a recipient against the criteria
/// of <c>policies/recipient-criteria.yaml</c> (each one checked or not, reasons), suspension and reinstatement.
/// </summary>
internal sealed class DetailModel(RecipientAdministration recipients, DataUsePolicy policy) : OperatorPage
{
    public RecipientView Recipient { get; private set; } = null!;

    public IReadOnlyList<RecipientCriterion> Criteria => policy.RecipientCriteria;

    public string? Done { get; private set; }

    [BindProperty]
    public string? Decision { get; set; }

    /// <summary>The ids of the criteria the reviewer found met; every other criterion is recorded as not met.</summary>
    [BindProperty]
    public List<string> Met { get; set; } = [];

    [BindProperty]
    public string? Reasons { get; set; }

    public async Task<IActionResult> OnGetAsync(string clientId, string? done, CancellationToken cancellationToken)
    {
        Done = done;
        return await LoadAsync(clientId, cancellationToken) ? Page() : NotFound();
    }

    public Task<IActionResult> OnPostReviewAsync(string clientId, CancellationToken cancellationToken) =>
        ChangeAsync(clientId, "reviewed", () => recipients.ReviewAsync(
            clientId,
            new RecipientReviewInput(Decision, policy.RecipientCriteria.ToDictionary(c => c.Id, c => Met.Contains(c.Id), StringComparer.Ordinal), Lines(Reasons)),
            Actor,
            cancellationToken), cancellationToken);

    public Task<IActionResult> OnPostSuspendAsync(string clientId, CancellationToken cancellationToken) =>
        ChangeAsync(clientId, "suspended", () => recipients.SuspendAsync(clientId, new RecipientStatusInput(Lines(Reasons)), Actor, cancellationToken), cancellationToken);

    public Task<IActionResult> OnPostReinstateAsync(string clientId, CancellationToken cancellationToken) =>
        ChangeAsync(clientId, "reinstated", () => recipients.ReinstateAsync(clientId, new RecipientStatusInput(Lines(Reasons)), Actor, cancellationToken), cancellationToken);

    private async Task<IActionResult> ChangeAsync(string clientId, string done, Func<Task<RecipientView>> change, CancellationToken cancellationToken)
    {
        try
        {
            await change();
            return Redirect($"/admin/recipients/{Uri.EscapeDataString(clientId)}?done={done}");
        }
        catch (ConsentException e)
        {
            if (!await LoadAsync(clientId, cancellationToken))
            {
                return NotFound();
            }

            Refused(e, e.Code switch { "decision_invalid" => "decision-approve", "reasons_missing" or "reasons_invalid" => "reasons", _ => "criteria" });
            return Page();
        }
    }

    private async Task<bool> LoadAsync(string clientId, CancellationToken cancellationToken)
    {
        Recipient = (await recipients.GetAsync(clientId, cancellationToken))!;
        return Recipient is not null;
    }
}
