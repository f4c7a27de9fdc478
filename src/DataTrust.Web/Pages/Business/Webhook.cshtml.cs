using DataTrust.Consent;
using DataTrust.Persistence;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace DataTrust.Web.Pages.Business;

/// <summary><c>/business/webhook</c>: where consent events are posted, and the log of deliveries.</summary>
internal sealed class WebhookModel(RecipientAdministration recipients, DataTrustDbContext db) : BusinessPage
{
    [BindProperty]
    public string? WebhookUrl { get; set; }

    public bool Saved { get; private set; }

    public IReadOnlyList<WebhookDelivery> Deliveries { get; private set; } = [];

    public async Task OnGetAsync(bool saved, CancellationToken cancellationToken)
    {
        Saved = saved;
        WebhookUrl = (await recipients.GetAsync(ClientId, cancellationToken))!.WebhookUrl;
        await LoadAsync(cancellationToken);
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        try
        {
            await recipients.SetWebhookAsync(ClientId, string.IsNullOrWhiteSpace(WebhookUrl) ? null : WebhookUrl.Trim(), cancellationToken);
            return Redirect("/business/webhook?saved=true");
        }
        catch (ConsentException e)
        {
            Refused(e, "url");
            await LoadAsync(cancellationToken);
            return Page();
        }
    }

    private async Task LoadAsync(CancellationToken cancellationToken) =>
        Deliveries = await db.Set<WebhookDelivery>().AsNoTracking().Where(d => d.ClientId == ClientId)
            .OrderByDescending(d => d.CreatedAt).Take(50).ToListAsync(cancellationToken);
}
