using System.Text.Json.Nodes;
using DataTrust.Audit.Events;
using DataTrust.Audit.Storage;
using DataTrust.Persistence;
using Microsoft.EntityFrameworkCore;

namespace DataTrust.Audit.Reports;

/// <summary>One release of a resident's data, as the audit log recorded it (no values, only what and to whom).</summary>
internal sealed record ProvisionRecord(long Seq, DateTimeOffset Time, string Recipient, string Purpose, IReadOnlyList<string> Categories, string? Consent);

/// <summary>
/// A resident's history of provision (提供履歴): every <c>data.released</c> entry whose subject is their
/// pseudonym, newest first. Read straight from the audit log, so it shows exactly what auditors see.
/// </summary>
internal static class ProvisionHistory
{
    public const int MaxRecords = 500;

    public static async Task<IReadOnlyList<ProvisionRecord>> ForResidentAsync(
        Guid accountId, AuditPseudonyms pseudonyms, IDbContextFactory<DataTrustDbContext> contexts, CancellationToken cancellationToken)
    {
        var subject = pseudonyms.Of(accountId);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var rows = await db.Set<AuditEntry>().AsNoTracking()
            .Where(e => e.Subject == subject && e.Action == AuditAction.DataReleased)
            .OrderByDescending(e => e.Seq)
            .Take(MaxRecords)
            .Select(e => new { e.Seq, e.RecordedAt, e.Recipient, e.Consent, e.Details })
            .ToListAsync(cancellationToken);
        return rows.Select(r =>
        {
            var details = ReleaseDetails.Read(r.Details);
            return new ProvisionRecord(r.Seq, r.RecordedAt, r.Recipient ?? "", details.Purpose, details.Categories, r.Consent);
        }).ToList();
    }
}

/// <summary>The purpose and categories a <c>data.released</c> entry's details name (see <see cref="DataReleased"/>).</summary>
internal readonly record struct ReleaseDetails(string Purpose, IReadOnlyList<string> Categories)
{
    public static ReleaseDetails Read(string json)
    {
        try
        {
            var node = JsonNode.Parse(json) as JsonObject;
            var purpose = node?["purpose"] is JsonValue p && p.TryGetValue<string>(out var text) ? text : "";
            var categories = node?["categories"] is JsonArray array
                ? array.Select(c => c is JsonValue v && v.TryGetValue<string>(out var s) ? s : null).OfType<string>().ToList()
                : [];
            return new ReleaseDetails(purpose, categories);
        }
        catch (System.Text.Json.JsonException)
        {
            return new ReleaseDetails("", []); // a damaged row; verification reports it
        }
    }
}
