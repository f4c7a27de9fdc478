using DataTrust.Audit.Reports;
using DataTrust.Persistence;
using DataTrust.Policies;
using DataTrust.Web.Navigation;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace DataTrust.Web.Pages.Transparency;

/// <summary>
/// <c>/transparency</c>, for anyone: aggregates of the audit log with no personal data. Every cell about
/// fewer residents than the policy's minimum group size is suppressed (see <see cref="TransparencyReport.Suppressed"/>).
/// </summary>
internal sealed class IndexModel(IDbContextFactory<DataTrustDbContext> contexts, DataUsePolicy policy) : PageModel
{
    public TransparencyView View { get; private set; } = null!;

    public int MinimumGroupSize => policy.StatisticsMinimumGroupSize;

    public string PolicyLabel => policy.VersionLabel;

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        var report = (await TransparencyStatistics.ComputeAsync(contexts, cancellationToken)).Suppressed(policy.StatisticsMinimumGroupSize);
        View = new TransparencyView(report, await PortalNames.LoadAsync(contexts, policy, cancellationToken), RecipientLinks: false);
    }
}
