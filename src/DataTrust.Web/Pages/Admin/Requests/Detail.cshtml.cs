using DataTrust.Consent;
using Microsoft.AspNetCore.Mvc;

namespace DataTrust.Web.Pages.Admin.Requests;

/// <summary><c>/admin/requests/{id}</c>: one data request and the board's decision on it; special-care data needs an explicit approval.</summary>
internal sealed class DetailModel(DataRequests requests) : OperatorPage
{
    public DataRequestView Item { get; private set; } = null!;

    public string? Done { get; private set; }

    [BindProperty]
    public string? Decision { get; set; }

    [BindProperty]
    public bool SensitiveApproved { get; set; }

    [BindProperty]
    public string? Reasons { get; set; }

    public async Task<IActionResult> OnGetAsync(Guid id, string? done, CancellationToken cancellationToken)
    {
        Done = done;
        return await LoadAsync(id, cancellationToken) ? Page() : NotFound();
    }

    public async Task<IActionResult> OnPostAsync(Guid id, CancellationToken cancellationToken)
    {
        try
        {
            await requests.ReviewAsync(id, new DataRequestReviewInput(Decision, SensitiveApproved, Lines(Reasons)), Actor, cancellationToken);
            return Redirect($"/admin/requests/{id}?done=reviewed");
        }
        catch (ConsentException e)
        {
            if (!await LoadAsync(id, cancellationToken))
            {
                return NotFound();
            }

            Refused(e, e.Code switch { "decision_invalid" => "decision-approve", "reasons_missing" => "reasons", "sensitive_not_approved" => "sensitive", _ => null });
            return Page();
        }
    }

    private async Task<bool> LoadAsync(Guid id, CancellationToken cancellationToken)
    {
        try
        {
            Item = await requests.GetAsync(id, cancellationToken);
            return true;
        }
        catch (ConsentException)
        {
            return false;
        }
    }
}
