using System.Globalization;
using System.Text.Json;
using DataTrust.Policies;

namespace DataTrust.Vault.Ingestion;

/// <summary>One problem with one field. The message names the rule broken, never the value sent.</summary>
internal sealed record FieldProblem(string Field, string Problem);

/// <summary>
/// Checks a record's fields against its category in the policy (categories.yaml): an object of known field
/// ids, each of its declared type (enum values from the list), no nulls, at least one field. Every problem is
/// reported, so a provider can fix a record in one go.
/// </summary>
internal static class RecordFields
{
    public const int MaxStringLength = 2000;

    private static readonly string[] DateTimeFormats = ["yyyy-MM-dd'T'HH:mm:ssK", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK"];

    public static List<FieldProblem> Check(DataCategory category, JsonElement fields)
    {
        var problems = new List<FieldProblem>();
        if (fields.ValueKind != JsonValueKind.Object)
        {
            problems.Add(new("fields", "must be a JSON object of field ids and values"));
            return problems;
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var property in fields.EnumerateObject())
        {
            var name = property.Name.Length > 100 ? property.Name[..100] + "…" : property.Name;
            if (!seen.Add(property.Name))
            {
                problems.Add(new(name, "appears more than once"));
                continue;
            }

            if (category.FindField(property.Name) is not { } field)
            {
                problems.Add(new(name, $"is not a field of category '{category.Id}'"));
                continue;
            }

            if (Check(field, property.Value) is { } problem)
            {
                problems.Add(new(field.Id, problem));
            }
        }

        if (seen.Count == 0)
        {
            problems.Add(new("fields", "must hold at least one field"));
        }

        return problems;
    }

    private static string? Check(DataField field, JsonElement value)
    {
        switch (field.Type)
        {
            case FieldType.String:
                return value.ValueKind != JsonValueKind.String ? "must be a string"
                    : value.GetString()!.Length > MaxStringLength ? $"must be at most {MaxStringLength} characters"
                    : null;
            case FieldType.Integer:
                return value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out _) ? null : "must be an integer";
            case FieldType.Decimal:
                return value.ValueKind == JsonValueKind.Number && value.TryGetDecimal(out _) ? null : "must be a number";
            case FieldType.Boolean:
                return value.ValueKind is JsonValueKind.True or JsonValueKind.False ? null : "must be true or false";
            case FieldType.Date:
                return value.ValueKind == JsonValueKind.String &&
                       DateOnly.TryParseExact(value.GetString(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _)
                    ? null : "must be a date as yyyy-MM-dd";
            case FieldType.DateTime:
                return value.ValueKind == JsonValueKind.String &&
                       DateTimeOffset.TryParseExact(value.GetString(), DateTimeFormats, CultureInfo.InvariantCulture, DateTimeStyles.None, out _) &&
                       HasOffset(value.GetString()!)
                    ? null : "must be a date and time with its offset, as yyyy-MM-ddTHH:mm:ss+09:00 or …Z";
            case FieldType.Enum:
                return value.ValueKind == JsonValueKind.String && field.EnumValues.Contains(value.GetString()!, StringComparer.Ordinal)
                    ? null : $"must be one of: {string.Join(", ", field.EnumValues)}";
            default:
                return "has a type this service does not know";
        }
    }

    private static bool HasOffset(string text) => text.EndsWith('Z') || (text.Length > 6 && text[^6] is '+' or '-' && text[^3] == ':');
}
