using System.Collections.Immutable;
using YamlDotNet.RepresentationModel;

namespace DataTrust.Policies.Loading;

/// <summary>recipient-criteria.yaml: what a business must show to be approved as a recipient.</summary>
internal static class RecipientCriteriaFile
{
    public const string Name = "recipient-criteria.yaml";

    private static readonly Dictionary<string, CriterionScope> Scopes = new(StringComparer.Ordinal)
    {
        ["all"] = CriterionScope.AllRecipients,
        ["special-care"] = CriterionScope.SpecialCareRecipients,
    };

    public static ImmutableArray<RecipientCriterion> Read(PolicyFile file, YamlMappingNode root)
    {
        var criteria = ImmutableArray.CreateBuilder<RecipientCriterion>();
        var list = StrictMapping.Root(file, root, "criteria").List("criteria");
        var seen = new Dictionary<string, long>(StringComparer.Ordinal);
        for (var index = 0; index < (list?.Children.Count ?? 0); index++)
        {
            var entry = file.Entry(list!.Children[index], "criterion", index + 1, within: null, idKey: "id", "id", "text", "applies_to");
            if (entry is null)
            {
                continue;
            }

            var id = entry.Identifier("id");
            var text = entry.Bilingual("text");
            var appliesTo = entry.Choice("applies_to", Scopes);
            if (id is not null && file.FirstOccurrence(seen, id, entry.Required("id")!, "criterion id") && text is not null && appliesTo is { } scope)
            {
                criteria.Add(new RecipientCriterion(id, text, scope));
            }
        }

        return criteria.ToImmutable();
    }
}
