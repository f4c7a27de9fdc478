using System.Security.Claims;
using DataTrust.Accounts;
using DataTrust.Audit;
using DataTrust.Audit.Reports;
using DataTrust.Persistence;
using DataTrust.Policies;
using DataTrust.Web.Navigation;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace DataTrust.Web.Pages.Transparency;

/// <summary><c>/resident/history</c>: the signed-in resident's history of provision, read from the audit log under their own pseudonym.</summary>
[Authorize(Policy = AccessPolicies.Resident)]
internal sealed class HistoryModel(IDbContextFactory<DataTrustDbContext> contexts, AuditPseudonyms pseudonyms, DataUsePolicy policy) : PageModel
{
    public IReadOnlyList<ProvisionRecord> Records { get; private set; } = [];

    public PortalNames Names { get; private set; } = null!;

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        var account = Guid.Parse(User.FindFirstValue(ClaimTypes.NameIdentifier)!);
        Records = await ProvisionHistory.ForResidentAsync(account, pseudonyms, contexts, cancellationToken);
        Names = await PortalNames.LoadAsync(contexts, policy, cancellationToken);
    }
}
