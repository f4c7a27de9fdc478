using DataTrust.Audit.Events;
using DataTrust.Audit.Storage;
using DataTrust.Consent;
using DataTrust.Persistence;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace DataTrust.Web.Pages.Business;

/// <summary>
/// <c>/business/consents</c>: consents that ended and whose data this recipient must delete (confirm each
/// deletion), and the releases made to it, read from the audit log (no resident is named).
/// </summary>
internal sealed class ConsentsModel(ConsentLedger ledger, DataTrustDbContext db) : BusinessPage
{
    public IReadOnlyList<RecipientConsentView> Owed { get; private set; } = [];

    public IReadOnlyList<(DateTimeOffset Time, Guid? Consent, string Details)> Releases { get; private set; } = [];

    public int ReleaseCount { get; private set; }

    public bool Confirmed { get; private set; }

    public async Task OnGetAsync(bool confirmed, CancellationToken cancellationToken)
    {
        Confirmed = confirmed;
        await LoadAsync(cancellationToken);
    }

    public async Task<IActionResult> OnPostConfirmAsync(Guid? consent, CancellationToken cancellationToken)
    {
        try
        {
            await ledger.ConfirmDeletionAsync(ClientId, consent ?? Guid.Empty, cancellationToken);
            return Redirect("/business/consents?confirmed=true");
        }
        catch (ConsentException e)
        {
            Refused(e);
            await LoadAsync(cancellationToken);
            return Page();
        }
    }

    private async Task LoadAsync(CancellationToken cancellationToken)
    {
        Owed = [.. (await ledger.ListForRecipientAsync(ClientId, cancellationToken)).Where(c => c.MustDelete == true && c.DeletionConfirmedAt is null)];
        var releases = db.Set<AuditEntry>().AsNoTracking().Where(e => e.Action == AuditAction.DataReleased && e.Recipient == ClientId);
        ReleaseCount = await releases.CountAsync(cancellationToken);
        var latest = await releases.OrderByDescending(e => e.Seq).Take(50).Select(e => new { e.RecordedAt, e.Consent, e.Details }).ToListAsync(cancellationToken);
        Releases = [.. latest.Select(e => (e.RecordedAt, Guid.TryParse(e.Consent, out var id) ? id : (Guid?)null, e.Details))];
    }
}
