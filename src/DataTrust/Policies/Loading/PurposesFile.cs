using System.Collections.Immutable;
using YamlDotNet.RepresentationModel;

namespace DataTrust.Policies.Loading;

/// <summary>A purpose as read, with what the cross-file checks need even when the purpose itself has problems.</summary>
/// <param name="Purpose">The complete purpose, or null when part of it was invalid (and reported).</param>
internal sealed record PurposeDraft(string Id, long Line, bool? SensitiveDataAllowed, Purpose? Purpose);

/// <summary>purposes.yaml: the purpose catalogue.</summary>
internal static class PurposesFile
{
    public const string Name = "purposes.yaml";

    public static List<PurposeDraft> Read(PolicyFile file, YamlMappingNode root)
    {
        var drafts = new List<PurposeDraft>();
        var list = StrictMapping.Root(file, root, "purposes").List("purposes");
        var seen = new Dictionary<string, long>(StringComparer.Ordinal);
        for (var index = 0; index < (list?.Children.Count ?? 0); index++)
        {
            var entry = file.Entry(list!.Children[index], "purpose", index + 1, within: null, idKey: "id",
                "id", "title", "description", "dpv", "max_consent_duration", "sensitive_data_allowed", "aggregate_only");
            if (entry is null)
            {
                continue;
            }

            var id = entry.Identifier("id");
            var title = entry.Bilingual("title");
            var description = entry.Bilingual("description");
            var dpv = ReadDpv(file, entry);
            var maxConsentDuration = entry.Duration("max_consent_duration");
            var sensitiveDataAllowed = entry.Boolean("sensitive_data_allowed");
            var aggregateOnly = entry.OptionalBoolean("aggregate_only", whenAbsent: false);
            if (id is null || !file.FirstOccurrence(seen, id, entry.Required("id")!, "purpose id"))
            {
                continue;
            }

            var purpose = title is not null && description is not null && dpv is not null && maxConsentDuration is { } duration
                && sensitiveDataAllowed is { } sensitive && aggregateOnly is { } aggregate
                    ? new Purpose(id, title, description, dpv.Value, duration, sensitive, aggregate)
                    : null;
            drafts.Add(new PurposeDraft(id, entry.Line, sensitiveDataAllowed, purpose));
        }

        return drafts;
    }

    private static ImmutableArray<string>? ReadDpv(PolicyFile file, StrictMapping purpose)
    {
        var list = purpose.List("dpv");
        if (list is null)
        {
            return null;
        }

        var iris = ImmutableArray.CreateBuilder<string>();
        var seen = new Dictionary<string, long>(StringComparer.Ordinal);
        var valid = true;
        foreach (var node in list.Children)
        {
            var iri = file.Text(node, $"a 'dpv' entry of {purpose.What}");
            if (iri is not null && !DpvPurposes.IsPurposeIri(iri))
            {
                file.Error(node, $"'{iri}' in {purpose.What} is not a purpose of the W3C Data Privacy Vocabulary: write it as {DpvPurposes.Namespace}<Concept>, e.g. {DpvPurposes.Namespace}ServiceOptimisation");
                iri = null;
            }

            if (iri is null || !file.FirstOccurrence(seen, iri, node, "DPV purpose", purpose.What))
            {
                valid = false;
                continue;
            }

            iris.Add(iri);
        }

        return valid ? iris.ToImmutable() : null;
    }
}
