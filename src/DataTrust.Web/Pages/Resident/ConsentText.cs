using System.Globalization;
using System.Text.RegularExpressions;
using DataTrust.Consent;
using DataTrust.Persistence;
using DataTrust.Policies;
using Microsoft.EntityFrameworkCore;
using static DataTrust.Web.Localization.Text;

namespace DataTrust.Web.Pages.Resident;

/// <summary>Plain ja/en words for consents: states, durations, frequencies, and names from the policy and the recipients.</summary>
internal sealed partial class ConsentText(DataUsePolicy policy, IReadOnlyDictionary<string, (string Name, bool Approved)> recipients)
{
    /// <summary>The shorter durations a resident may choose instead of a request's own.</summary>
    public static readonly string[] DurationChoices = ["P1M", "P3M", "P6M", "P1Y", "P2Y"];

    public static async Task<ConsentText> LoadAsync(DataTrustDbContext db, DataUsePolicy policy, CancellationToken cancellationToken)
    {
        var recipients = await db.Set<Recipient>().AsNoTracking().Select(r => new { r.ClientId, r.OrganisationName, r.Status }).ToListAsync(cancellationToken);
        return new ConsentText(policy, recipients.ToDictionary(r => r.ClientId, r => (r.OrganisationName, r.Status == RecipientStatus.Approved), StringComparer.Ordinal));
    }

    public DataUsePolicy Policy => policy;

    public string Recipient(string clientId) => recipients.TryGetValue(clientId, out var r) ? r.Name : clientId;

    public string RecipientReview(string clientId) => recipients.TryGetValue(clientId, out var r) && r.Approved
        ? T("DataTrust の審査に合格した提供先です", "Approved by DataTrust's review")
        : T("審査に合格していない提供先です", "Not approved by DataTrust's review");

    public string Purpose(string purposeId) => policy.FindPurpose(purposeId) is { } p ? T(p.Title.Ja, p.Title.En) : purposeId;

    public string PurposeDescription(string purposeId) => policy.FindPurpose(purposeId) is { } p ? T(p.Description.Ja, p.Description.En) : "";

    public string Category(string categoryId) => policy.FindCategory(categoryId) is { } c ? T(c.Name.Ja, c.Name.En) : categoryId;

    public bool IsSensitive(string categoryId) => policy.IsSpecialCare(categoryId);

    public string Fields(RequestedCategory category) =>
        string.Join(T("、", ", "), category.Fields.Select(f => policy.FindCategory(category.Category)?.FindField(f) is { } field ? T(field.Name.Ja, field.Name.En) : f));

    public static string State(string state) => state switch
    {
        "requested" => T("回答待ち", "Awaiting your answer"),
        "given" => T("同意中", "Given"),
        "paused" => T("一時停止中", "Paused"),
        "refused" => T("お断り", "Refused"),
        "withdrawn" => T("取り消し済み", "Withdrawn"),
        "expired" => T("期間終了", "Expired"),
        _ => state,
    };

    public static string Badge(string state) => state switch
    {
        "given" => "badge badge-ok",
        "paused" or "requested" => "badge badge-warn",
        _ => "badge badge-neutral",
    };

    public static string Event(string kind) => kind switch
    {
        "requested" => T("依頼を受け取りました", "Request received"),
        "granted" => T("同意しました", "Consent given"),
        "refused" => T("お断りしました", "Refused"),
        "paused" => T("一時停止しました", "Paused"),
        "resumed" => T("再開しました", "Resumed"),
        "withdrawn" => T("取り消しました", "Withdrawn"),
        "expired" => T("期間が終わりました", "Ended"),
        "deletion_confirmed" => T("提供先がデータの削除を報告しました", "The recipient confirmed deletion"),
        _ => kind,
    };

    public static string Actor(string actorType, string? decidedBy) => decidedBy is not null
        ? T("あなたのルール", "Your standing instruction")
        : actorType switch
        {
            "resident" => T("あなた", "You"),
            "client" => T("提供先", "The recipient"),
            "system" => T("DataTrust（自動）", "DataTrust (automatic)"),
            _ => actorType,
        };

    /// <summary><c>P6M</c> → 6か月 / 6 months.</summary>
    public static string Duration(string? iso)
    {
        if (iso is null)
        {
            return "";
        }

        var match = DurationPattern().Match(iso);
        if (!match.Success)
        {
            return iso;
        }

        var parts = new List<string>();
        Add(match.Groups["y"], "年", "year");
        Add(match.Groups["m"], "か月", "month");
        Add(match.Groups["d"], "日", "day");
        return string.Join(IsEnglish ? " " : "", parts);

        void Add(Group group, string ja, string en)
        {
            if (group.Success && int.TryParse(group.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0)
            {
                parts.Add(IsEnglish ? $"{n} {en}{(n == 1 ? "" : "s")}" : $"{n}{ja}");
            }
        }
    }

    public static string Frequency(string accessMode, int? max, string? period) => accessMode == "one-time"
        ? T("1回だけ", "Once")
        : max is { } n && period is not null
            ? T($"{Duration(period)}に{n}回まで", $"Up to {n} times per {Duration(period)}")
            : T("定期的に", "Periodically");

    public static string Date(DateTimeOffset? at) => at?.ToLocalTime().ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) ?? T("—", "—");

    [GeneratedRegex(@"^P(?:(?<y>\d+)Y)?(?:(?<m>\d+)M)?(?:(?<d>\d+)D)?$", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 100)]
    private static partial Regex DurationPattern();
}

/// <summary>What <c>_ConsentTerms</c> shows: who, what, why, how long, how often, and what the resident gets; with <see cref="Narrowable"/>, the fields to narrow them.</summary>
internal sealed record ConsentTerms(
    ConsentText Words,
    string ClientId,
    string PurposeId,
    IReadOnlyList<RequestedCategory> Categories,
    string Duration,
    string AccessMode,
    int? MaxReleases,
    string? FrequencyPeriod,
    LocalizedText? Benefit,
    LocalizedText? Explanation,
    bool Narrowable)
{
    /// <summary>The durations offered when narrowing: the request's own, and every shorter standard one.</summary>
    public IReadOnlyList<string> DurationOptions =>
        [Duration, .. ConsentText.DurationChoices.Where(d => d != Duration && IsoDuration.TryParse(d, out var c) && IsoDuration.TryParse(Duration, out var r) && DataRequests.AtMost(c, r))];
}
