using System.Globalization;
using System.Text.Json.Nodes;
using DataTrust.Audit.Events;
using DataTrust.Audit.Storage;
using DataTrust.Persistence;
using Microsoft.EntityFrameworkCore;

namespace DataTrust.Audit.Reports;

/// <summary>Releases in one month (UTC, <c>yyyy-MM</c>) for one purpose to one recipient. <see cref="Releases"/> is null when suppressed.</summary>
internal sealed record ReleaseCell(string Month, string Purpose, string Recipient, int? Releases, int Residents);

/// <summary>
/// Consent decisions in one month for one recipient. A consent request counts as granted when a
/// consent was granted (<c>consent.granted</c>) or a resident allowed an application's access
/// (<c>consent.client_access_decided</c>, allowed), and as refused when a request was refused
/// (<c>consent.refused</c>) or they declined an application's access; revocations
/// are <c>consent.revoked</c>. A count is null when suppressed.
/// </summary>
internal sealed record ConsentCell(string Month, string Recipient, int? Granted, int? Refused, int? Revoked, int Residents);

internal sealed record TransparencyReport(IReadOnlyList<ReleaseCell> Releases, IReadOnlyList<ConsentCell> Consents, int? MinimumGroupSize)
{
    public IReadOnlyList<string> Months =>
        Releases.Select(r => r.Month).Concat(Consents.Select(c => c.Month)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();

    /// <summary>
    /// The report safe to publish: every cell about fewer than <paramref name="minimumGroupSize"/> distinct
    /// residents loses its counts, so that no small group (a handful of residents of one recipient in one
    /// month, e.g. in a health study) can be singled out. No totals are published beside the cells, so
    /// a suppressed cell cannot be recovered by subtraction.
    /// </summary>
    public TransparencyReport Suppressed(int minimumGroupSize) => new(
        Releases.Select(r => r.Residents < minimumGroupSize ? r with { Releases = null, Residents = 0 } : r with { Residents = 0 }).ToList(),
        Consents.Select(c => c.Residents < minimumGroupSize ? c with { Granted = null, Refused = null, Revoked = null, Residents = 0 } : c with { Residents = 0 }).ToList(),
        minimumGroupSize);
}

/// <summary>
/// Aggregates of the audit log for transparency: releases per month, purpose and recipient; consent
/// requests granted and refused and revocations per month and recipient. Counts only, with the number of
/// distinct residents per cell kept for suppression. Reads only the entries of these actions.
/// </summary>
internal static class TransparencyStatistics
{
    private static readonly string[] Actions =
        [AuditAction.DataReleased, AuditAction.ConsentGranted, AuditAction.ConsentRefused, AuditAction.ClientAccessDecided, AuditAction.ConsentRevoked];

    public static async Task<TransparencyReport> ComputeAsync(IDbContextFactory<DataTrustDbContext> contexts, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var rows = await db.Set<AuditEntry>().AsNoTracking()
            .Where(e => Actions.Contains(e.Action))
            .Select(e => new { e.RecordedAt, e.Action, e.Recipient, e.Subject, e.Details })
            .ToListAsync(cancellationToken);

        static string Month(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM", CultureInfo.InvariantCulture);

        var releases = rows.Where(r => r.Action == AuditAction.DataReleased)
            .GroupBy(r => (Month: Month(r.RecordedAt), ReleaseDetails.Read(r.Details).Purpose, Recipient: r.Recipient ?? ""))
            .Select(g => new ReleaseCell(g.Key.Month, g.Key.Purpose, g.Key.Recipient, g.Count(), g.Select(r => r.Subject).Distinct(StringComparer.Ordinal).Count()))
            .OrderBy(c => c.Month, StringComparer.Ordinal).ThenBy(c => c.Purpose, StringComparer.Ordinal).ThenBy(c => c.Recipient, StringComparer.Ordinal)
            .ToList();

        var consents = rows.Where(r => r.Action != AuditAction.DataReleased)
            .Select(r => (Month: Month(r.RecordedAt), Recipient: r.Recipient ?? "", r.Subject, Kind: Classify(r.Action, r.Details)))
            .GroupBy(r => (r.Month, r.Recipient))
            .Select(g => new ConsentCell(
                g.Key.Month,
                g.Key.Recipient,
                g.Count(r => r.Kind == ConsentKind.Granted),
                g.Count(r => r.Kind == ConsentKind.Refused),
                g.Count(r => r.Kind == ConsentKind.Revoked),
                g.Select(r => r.Subject).Distinct(StringComparer.Ordinal).Count()))
            .OrderBy(c => c.Month, StringComparer.Ordinal).ThenBy(c => c.Recipient, StringComparer.Ordinal)
            .ToList();

        return new TransparencyReport(releases, consents, MinimumGroupSize: null);
    }

    private enum ConsentKind
    {
        Granted,
        Refused,
        Revoked,
    }

    private static ConsentKind Classify(string action, string details) => action switch
    {
        AuditAction.ConsentGranted => ConsentKind.Granted,
        AuditAction.ConsentRefused => ConsentKind.Refused,
        AuditAction.ConsentRevoked => ConsentKind.Revoked,
        _ => IsDeclined(details) ? ConsentKind.Refused : ConsentKind.Granted,
    };

    private static bool IsDeclined(string details)
    {
        try
        {
            return JsonNode.Parse(details)?["decision"] is JsonValue v && v.TryGetValue<string>(out var decision) && decision == "declined";
        }
        catch (System.Text.Json.JsonException)
        {
            return false;
        }
    }
}
