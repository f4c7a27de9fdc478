using System.Text.Json;
using System.Text.Json.Nodes;
using DataTrust.Persistence;
using DataTrust.Policies;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace DataTrust.Vault.Ingestion;

/// <summary>
/// <c>POST /api/ingest/ngsi-ld/notify</c>: the endpoint a FIWARE context broker's subscription notifies
/// (ETSI GS CIM 009, Notification: <c>{ "id", "type": "Notification", "subscriptionId", "notifiedAt", "data": [ entities ] }</c>,
/// as <c>application/json</c> or <c>application/ld+json</c>). The mapping:
/// <list type="bullet">
/// <item>entity <c>type</c> → the data category: its id (<c>mobility</c>), or that id under the NGSI-LD default
/// context (<c>https://uri.etsi.org/ngsi-ld/default-context/mobility</c>);</item>
/// <item>the resident: the entity's <c>linkId</c> Property (the link id the resident gave this provider), else the
/// <c>linkId</c> query parameter of the subscription's endpoint URI;</item>
/// <item>every other attribute → the category field of the same name; a Property's <c>value</c> (or a typed
/// literal's <c>@value</c>, as DateTime values come), or the plain value in simplified (keyValues) form.
/// Relationships, GeoProperties and names that are not fields of the category are refused.</item>
/// </list>
/// All entities are stored in one transaction, or none: any invalid entity refuses the notification (422, every
/// problem named as <c>data[i].field</c>). The notification <c>id</c> is the idempotency key: a broker's retry of
/// the same notification stores nothing new.
/// </summary>
internal static class NgsiLdNotification
{
    public const string DefaultContext = "https://uri.etsi.org/ngsi-ld/default-context/";
    public const int MaxEntities = 100;
    private static readonly HashSet<string> Reserved = new(StringComparer.Ordinal) { "id", "type", "@context", "linkId" };

    public static async Task<IResult> Handle(HttpContext context, IDbContextFactory<DataTrustDbContext> contexts, RecordDeposits deposits, DataUsePolicy policy, CancellationToken cancellationToken)
    {
        using var body = await IngestionEndpoints.ReadJsonAsync(context, cancellationToken, allowJsonLd: true);
        if (body?.RootElement is not { ValueKind: JsonValueKind.Object } root ||
            !root.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Array)
        {
            return IngestionEndpoints.BadRequest("The body must be an NGSI-LD Notification: a JSON object with a \"data\" array of entities (application/json or application/ld+json).");
        }

        if (root.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String && type.GetString() != "Notification")
        {
            return IngestionEndpoints.BadRequest("The body's \"type\" must be \"Notification\".");
        }

        var count = data.GetArrayLength();
        if (count is 0 or > MaxEntities)
        {
            return IngestionEndpoints.BadRequest($"A notification must carry 1 to {MaxEntities} entities.");
        }

        string? key = null;
        if (root.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String)
        {
            key = "ngsi-ld:" + id.GetString();
            if (!IngestionEndpoints.IsValidKey(key))
            {
                return IngestionEndpoints.BadRequest("The notification id must be a URI of at most 190 printable ASCII characters.");
            }
        }

        var defaultLink = context.Request.Query["linkId"].ToString();
        var items = new List<DepositItem>();
        var problems = new List<ItemProblem>();
        var index = 0;
        foreach (var entity in data.EnumerateArray())
        {
            var (item, entityProblems) = Map(policy, entity, index, defaultLink);
            problems.AddRange(entityProblems);
            if (item is not null)
            {
                items.Add(item);
            }

            index++;
        }

        if (problems.Count > 0)
        {
            return Refused(problems);
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var outcome = await deposits.DepositAsync(db, IngestionEndpoints.ClientId(context), items, key, cancellationToken);
        return outcome.Status is DepositStatus.Invalid ? Refused([.. outcome.Problems.Select(p => p with { Field = $"data[{p.Index}].{p.Field}" })])
            : IngestionEndpoints.ToResult(outcome with { Problems = [.. outcome.Problems.Select(p => p with { Field = $"data[{p.Index}].{p.Field}" })] }, single: false);
    }

    private static ProblemHttpResult Refused(IReadOnlyList<ItemProblem> problems) =>
        TypedResults.Problem(
            detail: "One or more entities do not map to a category of the policy; nothing was stored. See errors.",
            statusCode: StatusCodes.Status422UnprocessableEntity,
            title: "Invalid entities",
            extensions: new Dictionary<string, object?>(StringComparer.Ordinal) { ["errors"] = problems.Select(p => new FieldProblem(p.Field, p.Problem)).ToList() });

    private static (DepositItem? Item, List<ItemProblem> Problems) Map(DataUsePolicy policy, JsonElement entity, int index, string defaultLink)
    {
        var problems = new List<ItemProblem>();
        var at = $"data[{index}]";
        if (entity.ValueKind != JsonValueKind.Object)
        {
            problems.Add(new(index, at, "must be an NGSI-LD entity (a JSON object)"));
            return (null, problems);
        }

        string? category = null;
        if (entity.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String)
        {
            category = type.GetString()!;
            category = category.StartsWith(DefaultContext, StringComparison.Ordinal) ? category[DefaultContext.Length..] : category;
        }
        else
        {
            problems.Add(new(index, $"{at}.type", "must be the entity type, naming a data category"));
        }

        var linkId = defaultLink;
        if (entity.TryGetProperty("linkId", out var link))
        {
            linkId = ValueOf(link) is { ValueKind: JsonValueKind.String } value ? value.GetString()! : "";
        }

        if (linkId.Length == 0)
        {
            problems.Add(new(index, $"{at}.linkId", "must be given as a Property of the entity or as the linkId query parameter of the subscription's endpoint"));
        }

        var fields = new JsonObject();
        foreach (var attribute in entity.EnumerateObject())
        {
            if (Reserved.Contains(attribute.Name))
            {
                continue;
            }

            if (attribute.Value.ValueKind == JsonValueKind.Object && attribute.Value.TryGetProperty("type", out var kind) &&
                kind.ValueKind == JsonValueKind.String && kind.GetString() is "Relationship" or "GeoProperty" or "LanguageProperty" or "VocabProperty" or "ListProperty")
            {
                problems.Add(new(index, $"{at}.{attribute.Name}", $"is a {kind.GetString()}; only Properties map to category fields"));
                continue;
            }

            if (ValueOf(attribute.Value) is not { } value)
            {
                problems.Add(new(index, $"{at}.{attribute.Name}", "is a Property without a value"));
                continue;
            }

            fields[attribute.Name] = JsonNode.Parse(value.GetRawText());
        }

        var element = JsonSerializer.SerializeToElement(fields);
        if (category is not null)
        {
            // Every problem of every entity in one answer, as for a deposit.
            problems.AddRange(policy.FindCategory(category) is { } known
                ? RecordFields.Check(known, element).Select(p => new ItemProblem(index, $"{at}.{p.Field}", p.Problem))
                : [new ItemProblem(index, $"{at}.type", "does not name a data category of the policy (see GET /api/policy)")]);
        }

        return problems.Count > 0 || category is null ? (null, problems) : (new DepositItem(linkId, category, element), problems);
    }

    /// <summary>A Property's value in normalized form (<c>{"type":"Property","value":…}</c>, a typed literal's <c>@value</c>), or the plain value in simplified form.</summary>
    private static JsonElement? ValueOf(JsonElement attribute)
    {
        var value = attribute;
        if (attribute.ValueKind == JsonValueKind.Object)
        {
            if (!attribute.TryGetProperty("value", out value))
            {
                return null;
            }
        }

        return value.ValueKind == JsonValueKind.Object && value.TryGetProperty("@value", out var literal) ? literal : value;
    }
}
