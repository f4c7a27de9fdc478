using System.Globalization;

namespace DataTrust.Web.Navigation;

/// <summary>
/// A horizontal bar chart drawn on the server as SVG (no script, no inline style). The page shows the
/// same figures in a table, which is what screen readers and printouts rely on; the chart is an image
/// with a title naming that table.
/// </summary>
internal sealed record BarChart(string Id, string Title, IReadOnlyList<BarChart.Bar> Bars)
{
    public const int Width = 720;
    public const int LabelWidth = 300;
    public const int RowHeight = 30;

    internal sealed record Bar(string Label, int? Value);

    public int Height => Math.Max(1, Bars.Count) * RowHeight + 10;

    public int Max => Math.Max(1, Bars.Max(b => b.Value ?? 0));

    /// <summary>The bar's length in pixels, at least 1 for any non-zero value.</summary>
    public int Length(Bar bar) => bar.Value is > 0 and var v ? Math.Max(1, (int)((double)v * (Width - LabelWidth - 60) / Max)) : 0;

    public static string Number(int value) => value.ToString("N0", CultureInfo.CurrentCulture);

    /// <summary>Trims a long label so that it fits beside the bars; the full text is in the table.</summary>
    public static string Short(string label) => label.Length <= 22 ? label : label[..21] + "…";
}
