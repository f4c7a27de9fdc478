using DataTrust.Consent;
using Microsoft.AspNetCore.Mvc;

namespace DataTrust.Web.Pages.Admin.Recipients;

/// <summary><c>/admin/recipients</c>: the review queue (pending first) and every recipient; register a client as a recipient.</summary>
internal sealed class IndexModel(RecipientAdministration recipients) : OperatorPage
{
    public IReadOnlyList<RecipientView> Recipients { get; private set; } = [];

    [BindProperty]
    public string? RegisterClientId { get; set; }

    [BindProperty]
    public string? RegisterName { get; set; }

    public async Task OnGetAsync(CancellationToken cancellationToken) => await LoadAsync(cancellationToken);

    public async Task<IActionResult> OnPostRegisterAsync(CancellationToken cancellationToken)
    {
        try
        {
            var registered = await recipients.RegisterAsync(new RecipientRegistration(RegisterClientId, RegisterName), Actor, cancellationToken);
            return Redirect("/admin/recipients/" + Uri.EscapeDataString(registered.ClientId));
        }
        catch (ConsentException e)
        {
            Refused(e, e.Code == "organisation_name_invalid" ? "registerName" : "registerClientId");
            await LoadAsync(cancellationToken);
            return Page();
        }
    }

    private async Task LoadAsync(CancellationToken cancellationToken) =>
        Recipients = [.. (await recipients.ListAsync(cancellationToken)).OrderBy(r => r.Status == "pending" ? 0 : 1).ThenBy(r => r.ClientId, StringComparer.Ordinal)];
}
