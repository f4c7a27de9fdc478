using DataTrust.Audit.Reports;
using DataTrust.Persistence;
using DataTrust.Policies;
using DataTrust.Web.Navigation;
using DataTrust.Web.Pages.Transparency;
using Microsoft.EntityFrameworkCore;

namespace DataTrust.Web.Pages.Audit;

/// <summary><c>/audit/statistics</c>: the transparency statistics with exact counts (auditors see small cells), per recipient with a drill-down.</summary>
internal sealed class StatisticsModel(IDbContextFactory<DataTrustDbContext> contexts, DataUsePolicy policy) : AuditPageModel
{
    public TransparencyView View { get; private set; } = null!;

    public BarChart ReleasesByRecipient { get; private set; } = null!;

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        var report = await TransparencyStatistics.ComputeAsync(contexts, cancellationToken);
        var names = await PortalNames.LoadAsync(contexts, policy, cancellationToken);
        View = new TransparencyView(report, names, RecipientLinks: true);
        ReleasesByRecipient = new BarChart("recipients-chart", Localization.Text.T("提供先ごとの提供件数", "Releases per recipient"),
            report.Releases.GroupBy(r => r.Recipient, StringComparer.Ordinal).Select(g => new BarChart.Bar(names.Recipient(g.Key), g.Sum(r => r.Releases ?? 0))).OrderByDescending(b => b.Value).ToList());
    }
}
