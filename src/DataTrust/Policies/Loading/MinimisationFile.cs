using YamlDotNet.RepresentationModel;

namespace DataTrust.Policies.Loading;

/// <summary>A name written in a policy file, with the line it is on.</summary>
internal readonly record struct Reference(string Id, YamlNode Node);

/// <summary>The fields of one category a rule allows, as written.</summary>
internal sealed record AllowanceDraft(Reference Category, IReadOnlyList<Reference> Fields);

/// <summary>A minimisation rule as written; its names are checked against the catalogue afterwards.</summary>
internal sealed record RuleDraft(Reference Purpose, IReadOnlyList<AllowanceDraft> Allowed);

/// <summary>minimisation.yaml: which fields of which categories each purpose may receive.</summary>
internal static class MinimisationFile
{
    public const string Name = "minimisation.yaml";

    public static List<RuleDraft> Read(PolicyFile file, YamlMappingNode root)
    {
        var rules = new List<RuleDraft>();
        var list = StrictMapping.Root(file, root, "rules").List("rules");
        for (var index = 0; index < (list?.Children.Count ?? 0); index++)
        {
            var entry = file.Entry(list!.Children[index], "minimisation rule", index + 1, within: null, idKey: "purpose", "purpose", "allow");
            if (entry is null)
            {
                continue;
            }

            var purpose = entry.Identifier("purpose");
            var allowed = ReadAllowances(file, entry);
            if (purpose is not null)
            {
                rules.Add(new RuleDraft(new Reference(purpose, entry.Required("purpose")!), allowed));
            }
        }

        return rules;
    }

    private static List<AllowanceDraft> ReadAllowances(PolicyFile file, StrictMapping rule)
    {
        var allowances = new List<AllowanceDraft>();
        var list = rule.List("allow");
        for (var index = 0; index < (list?.Children.Count ?? 0); index++)
        {
            var entry = file.Entry(list!.Children[index], "category", index + 1, within: rule.What, idKey: "category", "category", "fields");
            if (entry is null)
            {
                continue;
            }

            var category = entry.Identifier("category");
            var fields = new List<Reference>();
            var fieldList = entry.List("fields");
            var seen = new Dictionary<string, long>(StringComparer.Ordinal);
            foreach (var node in fieldList?.Children ?? [])
            {
                if (file.Identifier(node, $"a field of {entry.What}") is { } field && file.FirstOccurrence(seen, field, node, "field", entry.What))
                {
                    fields.Add(new Reference(field, node));
                }
            }

            if (category is not null)
            {
                allowances.Add(new AllowanceDraft(new Reference(category, entry.Required("category")!), fields));
            }
        }

        return allowances;
    }
}
