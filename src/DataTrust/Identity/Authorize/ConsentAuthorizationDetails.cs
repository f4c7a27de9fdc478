using System.Text.Json;
using System.Text.Json.Nodes;
using DataTrust.Consent;
using DataTrust.Persistence;
using DataTrust.Policies;
using Microsoft.EntityFrameworkCore;

namespace DataTrust.Identity.Authorize;

/// <summary>
/// The one RFC 9396 authorization details type DataTrust understands: purpose-bound consent to one of
/// the client's published data requests, optionally asking for fewer categories or a shorter period:
/// <c>[{"type":"datatrust_consent","data_request":"…","categories":["mobility"],"duration":"P3M"}]</c>.
/// </summary>
internal sealed record ConsentAuthorizationDetail(Guid DataRequest, IReadOnlyList<string>? Categories, string? Duration)
{
    public const string Type = "datatrust_consent";

    public const string Error = "invalid_authorization_details";

    private static readonly string[] Members = ["type", "data_request", "categories", "duration"];

    /// <summary>Parses the parameter's shape (no database): the detail, or why it is refused.</summary>
    public static (ConsentAuthorizationDetail? Detail, string? Problem) Parse(string json)
    {
        if (json.Length > 4096)
        {
            return (null, "authorization_details is too long.");
        }

        JsonNode? node;
        try
        {
            node = JsonNode.Parse(json);
        }
        catch (JsonException)
        {
            return (null, "authorization_details is not valid JSON.");
        }

        if (node is not JsonArray { Count: 1 } array || array[0] is not JsonObject detail)
        {
            return (null, "authorization_details is a JSON array with exactly one object.");
        }

        if (detail["type"] is not JsonValue typeValue || !typeValue.TryGetValue<string>(out var type))
        {
            return (null, "Each authorization detail needs a string type.");
        }

        if (type != Type)
        {
            return (null, $"Unknown authorization details type '{type}'; supported: {Type}.");
        }

        if (detail.Select(p => p.Key).FirstOrDefault(k => !Members.Contains(k, StringComparer.Ordinal)) is { } unknown)
        {
            return (null, $"'{unknown}' is not a field of {Type} (fields: {string.Join(", ", Members)}).");
        }

        if (detail["data_request"] is not JsonValue requestValue || !requestValue.TryGetValue<string>(out var requestText) || !Guid.TryParse(requestText, out var requestId))
        {
            return (null, "data_request is the id of one of your published data requests.");
        }

        List<string>? categories = null;
        if (detail["categories"] is { } categoriesNode)
        {
            if (categoriesNode is not JsonArray { Count: > 0 } list || list.Any(c => c is not JsonValue v || !v.TryGetValue<string>(out _)))
            {
                return (null, "categories is a non-empty array of category ids.");
            }

            categories = [.. list.Select(c => c!.GetValue<string>())];
            if (categories.Distinct(StringComparer.Ordinal).Count() != categories.Count)
            {
                return (null, "categories names a category twice.");
            }
        }

        string? duration = null;
        if (detail["duration"] is { } durationNode)
        {
            if (durationNode is not JsonValue d || !d.TryGetValue<string>(out var text) || !IsoDuration.TryParse(text, out _))
            {
                return (null, "duration is an ISO 8601 duration, e.g. P3M.");
            }

            duration = text;
        }

        return (new ConsentAuthorizationDetail(requestId, categories, duration), null);
    }

    /// <summary>Checks the detail against the database: a published request of this client, and nothing beyond it.</summary>
    public static async Task<(ConsentAuthorizationDetail? Detail, string? Problem)> ValidateAsync(DataTrustDbContext db, string clientId, string json, CancellationToken cancellationToken)
    {
        var (detail, problem) = Parse(json);
        if (detail is null)
        {
            return (null, problem);
        }

        var request = await db.Set<DataRequest>().AsNoTracking().SingleOrDefaultAsync(r => r.Id == detail.DataRequest && r.ClientId == clientId, cancellationToken);
        var published = request is { State: DataRequestState.Approved }
            && await db.Set<Recipient>().AnyAsync(r => r.ClientId == clientId && r.Status == RecipientStatus.Approved, cancellationToken);
        if (!published)
        {
            return (null, $"data_request {detail.DataRequest} is not a published data request of this client.");
        }

        var requested = DataRequests.Categories(request!.Categories).Select(c => c.Category).ToList();
        if (detail.Categories?.FirstOrDefault(c => !requested.Contains(c, StringComparer.Ordinal)) is { } beyond)
        {
            return (null, $"The data request does not ask for category '{beyond}'.");
        }

        if (detail.Duration is { } text && IsoDuration.TryParse(text, out var asked) && IsoDuration.TryParse(request.Duration, out var max) && !DataRequests.AtMost(asked, max))
        {
            return (null, $"The data request allows {request.Duration} at most.");
        }

        return (detail, null);
    }

    /// <summary>The details as granted (after the resident's narrowing), for the grant, the token response and introspection.</summary>
    public static string Granted(ConsentView consent) => new JsonArray(new JsonObject
    {
        ["type"] = Type,
        ["data_request"] = consent.DataRequestId.ToString("D"),
        ["categories"] = new JsonArray([.. consent.Categories.Select(c => (JsonNode)JsonValue.Create(c.Category))]),
        ["duration"] = consent.Duration,
        ["consent_id"] = consent.Id.ToString("D"),
    }).ToJsonString();
}
