using System.Text.Json;

namespace DataTrust.Brokering;

/// <summary>One category asked for; null fields means every field the consent covers for it.</summary>
internal sealed record AskedCategory(string Category, IReadOnlyList<string>? Fields);

/// <summary>
/// The body of <c>POST /api/broker/releases</c>:
/// <c>{ "consentId"?, "purpose"?, "categories": [ "mobility" | { "category", "fields"? } ], "dataFrom"?, "dataTo"? }</c>.
/// </summary>
internal sealed record ReleaseRequest(Guid? ConsentId, string? Purpose, IReadOnlyList<AskedCategory> Categories, DateTimeOffset? DataFrom, DateTimeOffset? DataTo)
{
    public const int MaxCategories = 20;
    public const int MaxFields = 100;

    /// <summary>Parses and checks the shape; returns the problem in words, or null.</summary>
    public static (ReleaseRequest? Request, string? Problem) Parse(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object)
        {
            return (null, "The body must be a JSON object.");
        }

        Guid? consentId = null;
        string? purpose = null;
        DateTimeOffset? from = null, to = null;
        List<AskedCategory>? categories = null;
        foreach (var property in body.EnumerateObject())
        {
            if (property.Value.ValueKind == JsonValueKind.Null && property.Name is "consentId" or "purpose" or "dataFrom" or "dataTo")
            {
                continue; // optional members may be sent as null
            }

            switch (property.Name)
            {
                case "consentId" when property.Value.ValueKind == JsonValueKind.String && Guid.TryParse(property.Value.GetString(), out var id):
                    consentId = id;
                    break;
                case "purpose" when property.Value.ValueKind == JsonValueKind.String && property.Value.GetString()!.Length is > 0 and <= 100:
                    purpose = property.Value.GetString();
                    break;
                case "dataFrom" when property.Value.ValueKind == JsonValueKind.String && property.Value.TryGetDateTimeOffset(out var f):
                    from = f;
                    break;
                case "dataTo" when property.Value.ValueKind == JsonValueKind.String && property.Value.TryGetDateTimeOffset(out var t):
                    to = t;
                    break;
                case "categories" when ParseCategories(property.Value) is { } parsed:
                    categories = parsed;
                    break;
                case "consentId" or "purpose" or "dataFrom" or "dataTo" or "categories":
                    return (null, $"\"{property.Name}\" is not valid: consentId is a UUID, purpose a purpose id, dataFrom/dataTo ISO 8601 date-times with offset, " +
                                  $"categories 1 to {MaxCategories} category ids or {{ \"category\", \"fields\"? }} objects.");
                default:
                    return (null, $"\"{(property.Name.Length > 50 ? property.Name[..50] + "…" : property.Name)}\" is not a member of a release request.");
            }
        }

        if (categories is null)
        {
            return (null, "\"categories\" is required: the categories of data wanted.");
        }

        if (from is { } a && to is { } b && a > b)
        {
            return (null, "dataFrom must not be after dataTo.");
        }

        return (new ReleaseRequest(consentId, purpose, categories, from, to), null);
    }

    private static List<AskedCategory>? ParseCategories(JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Array || value.GetArrayLength() is 0 or > MaxCategories)
        {
            return null;
        }

        var result = new List<AskedCategory>();
        foreach (var item in value.EnumerateArray())
        {
            AskedCategory? asked = item.ValueKind switch
            {
                JsonValueKind.String when item.GetString() is { Length: > 0 and <= 100 } id => new AskedCategory(id, null),
                JsonValueKind.Object => ParseObject(item),
                _ => null,
            };
            if (asked is null || result.Any(r => r.Category == asked.Category))
            {
                return null;
            }

            result.Add(asked);
        }

        return result;
    }

    private static AskedCategory? ParseObject(JsonElement item)
    {
        string? category = null;
        List<string>? fields = null;
        foreach (var property in item.EnumerateObject())
        {
            if (property.Name == "category" && property.Value.ValueKind == JsonValueKind.String && property.Value.GetString() is { Length: > 0 and <= 100 } id)
            {
                category = id;
            }
            else if (property.Name == "fields" && property.Value.ValueKind == JsonValueKind.Array && property.Value.GetArrayLength() is > 0 and <= MaxFields
                     && property.Value.EnumerateArray().All(f => f.ValueKind == JsonValueKind.String && f.GetString()!.Length is > 0 and <= 100))
            {
                fields = [.. property.Value.EnumerateArray().Select(f => f.GetString()!).Distinct(StringComparer.Ordinal)];
            }
            else
            {
                return null;
            }
        }

        return category is null ? null : new AskedCategory(category, fields);
    }
}
