using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using DataTrust.Audit;
using DataTrust.Audit.Events;
using DataTrust.Consent;
using DataTrust.Identity.Clients;
using DataTrust.Persistence;
using DataTrust.Policies;
using DataTrust.Vault;
using DataTrust.Vault.Ingestion;
using DataTrust.Vault.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;

namespace DataTrust.Brokering;

/// <summary>A statistics query was answered: what was counted and how many cells, never a value of a resident.</summary>
internal sealed record StatisticsReleased(AuditActor Actor, string RecipientId, string Purpose, string Category, string Field, string GroupBy, int Residents, int Cells, int SuppressedCells)
    : AuditEvent(Actor)
{
    public const string ActionName = "data.statistics_released";

    public override string Action => ActionName;

    public override string? Recipient => RecipientId;

    public override JsonObject Details() => new()
    {
        ["purpose"] = Purpose, ["category"] = Category, ["field"] = Field, ["groupBy"] = GroupBy,
        ["residents"] = Residents, ["cells"] = Cells, ["suppressedCells"] = SuppressedCells,
    };
}

/// <summary>One cell: the group value, and count/sum/mean unless it is suppressed (fewer residents than the policy's minimum).</summary>
internal sealed record StatisticsCell(string Group, bool Suppressed, int? Count, decimal? Sum, decimal? Mean);

internal sealed record StatisticsAnswer(string Purpose, string Category, string Field, string GroupBy, int MinimumGroupSize, string PolicyVersion, IReadOnlyList<StatisticsCell> Cells);

/// <summary>
/// <c>POST /api/broker/statistics</c> <c>{ "category", "field", "groupBy" }</c>: count, sum and mean of a numeric
/// field, per value of a coarse resident-basic field (district, age_band), over the residents whose consent
/// to this City OS service for <c>city-statistics</c> is live and covers both fields. Each resident counts once,
/// with their latest record. Cells under <c>statistics.minimum_group_size</c> are suppressed.
/// </summary>
internal sealed class StatisticsRelease(DataTrustDbContext db, DataUsePolicy policy, IAuditLog audit, VaultStore vault, TimeProvider clock)
{
    public const string Purpose = "city-statistics";
    private const string GroupCategory = "resident-basic";

    internal static async Task<IResult> Handle(HttpContext context, StatisticsRelease statistics, CancellationToken cancellationToken)
    {
        using var body = await IngestionEndpoints.ReadJsonAsync(context, cancellationToken);
        if (body?.RootElement is not { ValueKind: JsonValueKind.Object } root
            || root.EnumerateObject().Any(p => p.Name is not ("category" or "field" or "groupBy") || p.Value.ValueKind != JsonValueKind.String)
            || !root.TryGetProperty("category", out var c) || !root.TryGetProperty("field", out var f) || !root.TryGetProperty("groupBy", out var g))
        {
            return BrokerProblems.Invalid("invalid_body", "The body must be { \"category\": string, \"field\": string, \"groupBy\": string } (Content-Type: application/json).");
        }

        return await statistics.AnswerAsync(IngestionEndpoints.ClientId(context), c.GetString()!, f.GetString()!, g.GetString()!, cancellationToken);
    }

    public async Task<IResult> AnswerAsync(string clientId, string categoryId, string fieldId, string groupBy, CancellationToken cancellationToken)
    {
        var kind = await db.Set<Client>().AsNoTracking().Where(x => x.ClientId == clientId).Select(x => x.Kind).SingleOrDefaultAsync(cancellationToken);
        if (kind != ClientKind.CityOsService)
        {
            return BrokerProblems.Invalid("not_city_os_service", "Aggregate statistics are for City OS services only.", StatusCodes.Status403Forbidden);
        }

        if (policy.FindCategory(categoryId)?.FindField(fieldId) is not { Type: FieldType.Integer or FieldType.Decimal }
            || !policy.AllowedFields(Purpose, categoryId).Contains(fieldId, StringComparer.Ordinal))
        {
            return BrokerProblems.Invalid("field_not_allowed", $"category and field must name a numeric field that the {Purpose} purpose may use (see GET /api/policy).");
        }

        if (!policy.AllowedFields(Purpose, GroupCategory).Contains(groupBy, StringComparer.Ordinal))
        {
            return BrokerProblems.Invalid("group_not_allowed", $"groupBy is one of: {string.Join(", ", policy.AllowedFields(Purpose, GroupCategory))}.");
        }

        var now = clock.GetUtcNow();
        var minimum = policy.StatisticsMinimumGroupSize;
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var approved = await db.Set<Recipient>().AsNoTracking().AnyAsync(r => r.ClientId == clientId && r.Status == RecipientStatus.Approved, cancellationToken);
        var consents = !approved ? [] : await (
            from head in db.Set<ConsentHead>().AsNoTracking()
            join version in db.Set<ConsentVersion>().AsNoTracking() on new { head.Id, head.Version } equals new { Id = version.ConsentId, version.Version }
            where head.ClientId == clientId && head.State == ConsentState.Given && (head.ExpiresAt == null || head.ExpiresAt > now) && version.PurposeId == Purpose
            select new { head.ResidentId, version.Categories }).ToListAsync(cancellationToken);
        var residents = consents
            .Where(x => Covers(x.Categories, categoryId, fieldId) && Covers(x.Categories, GroupCategory, groupBy))
            .Select(x => x.ResidentId).Distinct().ToList();

        var groups = new SortedDictionary<string, (int Count, decimal Sum)>(StringComparer.Ordinal);
        foreach (var resident in residents)
        {
            var group = await LatestValueAsync(resident, GroupCategory, groupBy, cancellationToken);
            var value = await LatestValueAsync(resident, categoryId, fieldId, cancellationToken);
            if (group is not { ValueKind: JsonValueKind.String } || value is not { ValueKind: JsonValueKind.Number } number || !number.TryGetDecimal(out var amount))
            {
                continue;
            }

            var key = group.Value.GetString()!;
            var (count, sum) = groups.GetValueOrDefault(key);
            groups[key] = (count + 1, sum + amount);
        }

        var cells = groups.Select(kv => kv.Value.Count < minimum
            ? new StatisticsCell(kv.Key, true, null, null, null)
            : new StatisticsCell(kv.Key, false, kv.Value.Count, kv.Value.Sum, Math.Round(kv.Value.Sum / kv.Value.Count, 4))).ToList();
        await audit.AppendAsync(db, new StatisticsReleased(AuditActor.Client(clientId), clientId, Purpose, categoryId, fieldId, groupBy,
            groups.Values.Sum(v => v.Count), cells.Count, cells.Count(x => x.Suppressed)), cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return TypedResults.Ok(new StatisticsAnswer(Purpose, categoryId, fieldId, groupBy, minimum, policy.Version, cells));
    }

    private static bool Covers(string categoriesJson, string category, string field) =>
        DataRequests.Categories(categoriesJson).Any(c => c.Category == category && c.Fields.Contains(field, StringComparer.Ordinal));

    private async Task<JsonElement?> LatestValueAsync(Guid resident, string category, string field, CancellationToken cancellationToken)
    {
        var id = await db.Set<VaultRecord>().AsNoTracking().Where(r => r.ResidentId == resident && r.CategoryId == category)
            .OrderByDescending(r => r.CreatedAt).ThenByDescending(r => r.Id).Select(r => (Guid?)r.Id).FirstOrDefaultAsync(cancellationToken);
        if (id is null)
        {
            return null;
        }

        using var record = await vault.GetAsync(db, resident, id.Value, cancellationToken);
        using var json = record?.ParseJson();
        return json is not null && json.RootElement.TryGetProperty(field, out var value) ? value.Clone() : null;
    }
}
