using DataTrust.Audit;
using DataTrust.Audit.Api;
using DataTrust.Audit.Events;
using DataTrust.Persistence;
using DataTrust.Policies;
using DataTrust.Web.Navigation;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Primitives;

namespace DataTrust.Web.Pages.Audit;

/// <summary><c>/audit/recipients/{clientId}</c>: one recipient's releases, through the audit search (so the drill-down is recorded like any search).</summary>
internal sealed class RecipientModel(IDbContextFactory<DataTrustDbContext> contexts, IAuditLog log, AuditPseudonyms pseudonyms, DataUsePolicy policy) : AuditPageModel
{
    public string ClientId { get; private set; } = "";

    public SearchAuditEntries.Page Releases { get; private set; } = null!;

    public PortalNames Names { get; private set; } = null!;

    public async Task<IActionResult> OnGetAsync(string clientId, long? after, CancellationToken cancellationToken)
    {
        ClientId = clientId;
        var query = new Dictionary<string, StringValues>(StringComparer.Ordinal) { ["action"] = AuditAction.DataReleased, ["recipient"] = clientId };
        if (after is { } last)
        {
            query["after"] = last.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        var (filters, _) = SearchAuditEntries.Parse(new QueryCollection(query));
        if (filters is null)
        {
            return NotFound(); // an id no client can have (too long)
        }

        Releases = await SearchAuditEntries.SearchAsync(filters, Actor, contexts, log, pseudonyms, cancellationToken);
        Names = await PortalNames.LoadAsync(contexts, policy, cancellationToken);
        return Page();
    }
}
