using DataTrust.Consent;
using DataTrust.Persistence;
using Microsoft.EntityFrameworkCore;

namespace DataTrust.Web.Pages.Business;

/// <summary><c>/business</c>: the recipient's standing, its data requests by state and its consents by state.</summary>
internal sealed class IndexModel(DataTrustDbContext db, TimeProvider clock) : BusinessPage
{
    public string Status { get; private set; } = "";

    public IReadOnlyDictionary<string, int> RequestsByState { get; private set; } = new Dictionary<string, int>(StringComparer.Ordinal);

    public IReadOnlyDictionary<string, int> ConsentsByState { get; private set; } = new Dictionary<string, int>(StringComparer.Ordinal);

    public int ExpiringSoon { get; private set; }

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        var recipient = await db.Set<Recipient>().AsNoTracking().SingleAsync(r => r.ClientId == ClientId, cancellationToken);
        Status = RecipientAdministration.Name(recipient.Status);
        var requests = await db.Set<DataRequest>().AsNoTracking().Where(r => r.ClientId == ClientId)
            .GroupBy(r => r.State).Select(g => new { g.Key, Count = g.Count() }).ToListAsync(cancellationToken);
        RequestsByState = requests.ToDictionary(r => DataRequests.StateName(r.Key), r => r.Count, StringComparer.Ordinal);
        var consents = await db.Set<ConsentHead>().AsNoTracking().Where(c => c.ClientId == ClientId)
            .GroupBy(c => c.State).Select(g => new { g.Key, Count = g.Count() }).ToListAsync(cancellationToken);
        ConsentsByState = consents.ToDictionary(c => c.Key.ToString().ToLowerInvariant(), c => c.Count, StringComparer.Ordinal);
        var soon = clock.GetUtcNow().AddDays(30);
        var active = await db.Set<ConsentHead>().AsNoTracking()
            .Where(c => c.ClientId == ClientId && c.State == ConsentState.Given && c.ExpiresAt != null)
            .Select(c => c.ExpiresAt!.Value).ToListAsync(cancellationToken);
        ExpiringSoon = active.Count(e => e <= soon);
    }
}
