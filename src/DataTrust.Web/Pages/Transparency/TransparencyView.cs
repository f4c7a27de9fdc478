using DataTrust.Audit.Reports;
using DataTrust.Web.Localization;
using DataTrust.Web.Navigation;

namespace DataTrust.Web.Pages.Transparency;

/// <summary>What <c>_TransparencyTables</c> shows: the report, the names for its ids, and whether recipients link to the auditor's drill-down.</summary>
internal sealed record TransparencyView(TransparencyReport Report, PortalNames Names, bool RecipientLinks)
{
    /// <summary>Releases per month; on the public page only the cells that are published add up.</summary>
    public BarChart ReleasesByMonth => new(
        "releases-chart",
        Report.MinimumGroupSize is null ? Text.T("月別の提供件数", "Releases per month") : Text.T("月別の提供件数（公開分の合計）", "Releases per month (sum of the published figures)"),
        Report.Releases.GroupBy(r => r.Month, StringComparer.Ordinal).Select(g => new BarChart.Bar(g.Key, g.Sum(r => r.Releases ?? 0))).ToList());
}
