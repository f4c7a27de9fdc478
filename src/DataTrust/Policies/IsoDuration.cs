using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;

namespace DataTrust.Policies;

/// <summary>
/// A calendar duration in the ISO 8601 form the policy uses: years, months and days (<c>P1Y</c>,
/// <c>P6M</c>, <c>P90D</c>, <c>P1Y6M</c>). Kept in calendar units because a year or a month has no
/// fixed length: a consent granted on 31 January for <c>P1M</c> ends on the last day of February.
/// </summary>
[StructLayout(LayoutKind.Auto)]
internal readonly partial record struct IsoDuration(int Years, int Months, int Days)
{
    public static bool TryParse(string text, out IsoDuration duration)
    {
        duration = default;
        var match = DurationPattern().Match(text);
        if (!match.Success || match.Length == 1)
        {
            return false;
        }

        if (!TryPart(match.Groups["y"], out var years) || !TryPart(match.Groups["m"], out var months) || !TryPart(match.Groups["d"], out var days))
        {
            return false;
        }

        duration = new IsoDuration(years, months, days);
        return years + months + days > 0;
    }

    /// <summary>The instant this duration after <paramref name="start"/>.</summary>
    public DateTimeOffset AddTo(DateTimeOffset start) => start.AddYears(Years).AddMonths(Months).AddDays(Days);

    public override string ToString()
    {
        var text = "P";
        text += Years > 0 ? Years.ToString(CultureInfo.InvariantCulture) + "Y" : string.Empty;
        text += Months > 0 ? Months.ToString(CultureInfo.InvariantCulture) + "M" : string.Empty;
        text += Days > 0 ? Days.ToString(CultureInfo.InvariantCulture) + "D" : string.Empty;
        return text;
    }

    private static bool TryPart(Group group, out int value)
    {
        value = 0;
        return !group.Success || int.TryParse(group.Value, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }

    // Time components (PT12H) are left out on purpose: consents and retention are counted in days.
    [GeneratedRegex(@"^P(?:(?<y>[0-9]{1,3})Y)?(?:(?<m>[0-9]{1,4})M)?(?:(?<d>[0-9]{1,5})D)?$", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 1000)]
    private static partial Regex DurationPattern();
}
