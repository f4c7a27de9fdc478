using System.Collections.Immutable;
using YamlDotNet.RepresentationModel;

namespace DataTrust.Policies.Loading;

/// <summary>A data category as read, with what the cross-file checks need even when the category has problems.</summary>
/// <param name="FieldIds">Every field id declared, valid or not, so a rule naming a broken field is not also called dangling.</param>
/// <param name="Category">The complete category, or null when part of it was invalid (and reported).</param>
internal sealed record CategoryDraft(string Id, long Line, Sensitivity? Sensitivity, IReadOnlySet<string> FieldIds, DataCategory? Category);

/// <summary>categories.yaml: data categories with their fields, sensitivity and retention.</summary>
internal static class CategoriesFile
{
    public const string Name = "categories.yaml";

    private static readonly Dictionary<string, FieldType> FieldTypes = new(StringComparer.Ordinal)
    {
        ["string"] = FieldType.String,
        ["integer"] = FieldType.Integer,
        ["decimal"] = FieldType.Decimal,
        ["boolean"] = FieldType.Boolean,
        ["date"] = FieldType.Date,
        ["datetime"] = FieldType.DateTime,
        ["enum"] = FieldType.Enum,
    };

    private static readonly Dictionary<string, Sensitivity> Sensitivities = new(StringComparer.Ordinal)
    {
        ["normal"] = Sensitivity.Normal,
        ["special-care"] = Sensitivity.SpecialCare,
    };

    public static List<CategoryDraft> Read(PolicyFile file, YamlMappingNode root)
    {
        var drafts = new List<CategoryDraft>();
        var list = StrictMapping.Root(file, root, "categories").List("categories");
        var seen = new Dictionary<string, long>(StringComparer.Ordinal);
        for (var index = 0; index < (list?.Children.Count ?? 0); index++)
        {
            var entry = file.Entry(list!.Children[index], "category", index + 1, within: null, idKey: "id",
                "id", "name", "description", "sensitivity", "retention", "fields");
            if (entry is null)
            {
                continue;
            }

            var id = entry.Identifier("id");
            var name = entry.Bilingual("name");
            var description = entry.Bilingual("description");
            var sensitivity = entry.Choice("sensitivity", Sensitivities);
            var retention = entry.Duration("retention");
            var fieldIds = new HashSet<string>(StringComparer.Ordinal);
            var fields = ReadFields(file, entry, fieldIds);
            if (id is null || !file.FirstOccurrence(seen, id, entry.Required("id")!, "category id"))
            {
                continue;
            }

            var category = name is not null && description is not null && sensitivity is { } s && retention is { } r && fields is not null
                ? new DataCategory(id, name, description, s, r, fields.Value)
                : null;
            drafts.Add(new CategoryDraft(id, entry.Line, sensitivity, fieldIds, category));
        }

        return drafts;
    }

    private static ImmutableArray<DataField>? ReadFields(PolicyFile file, StrictMapping category, HashSet<string> fieldIds)
    {
        var list = category.List("fields");
        if (list is null)
        {
            return null;
        }

        var fields = ImmutableArray.CreateBuilder<DataField>();
        var seen = new Dictionary<string, long>(StringComparer.Ordinal);
        var valid = true;
        for (var index = 0; index < list.Children.Count; index++)
        {
            var entry = file.Entry(list.Children[index], "field", index + 1, within: category.What, idKey: "id", "id", "name", "type", "values");
            if (entry is null)
            {
                valid = false;
                continue;
            }

            var id = entry.Identifier("id");
            var name = entry.Bilingual("name");
            var type = entry.Choice("type", FieldTypes);
            var values = ReadEnumValues(file, entry, type);
            if (id is null || !file.FirstOccurrence(seen, id, entry.Required("id")!, "field id", category.What))
            {
                valid = false;
                continue;
            }

            fieldIds.Add(id);
            if (name is null || type is null || values is null)
            {
                valid = false;
                continue;
            }

            fields.Add(new DataField(id, name, type.Value, values.Value));
        }

        return valid ? fields.ToImmutable() : null;
    }

    /// <summary>The values of an enum field; an empty array for other types, which must not list values.</summary>
    private static ImmutableArray<string>? ReadEnumValues(PolicyFile file, StrictMapping field, FieldType? type)
    {
        if (type != FieldType.Enum)
        {
            if (field.Optional("values") is { } stray && type is not null)
            {
                file.Error(stray, $"'values' of {field.What} is only allowed for fields of type enum");
                return null;
            }

            return [];
        }

        var list = field.List("values");
        if (list is null)
        {
            return null;
        }

        var values = ImmutableArray.CreateBuilder<string>();
        var seen = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var node in list.Children)
        {
            if (file.Text(node, $"a value of {field.What}") is { } value && file.FirstOccurrence(seen, value, node, "value", field.What))
            {
                values.Add(value);
            }
        }

        return values.Count == list.Children.Count ? values.ToImmutable() : null;
    }
}
