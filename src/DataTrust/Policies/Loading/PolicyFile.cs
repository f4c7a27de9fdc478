using System.Globalization;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace DataTrust.Policies.Loading;

/// <summary>
/// One policy file being read: parses its YAML and reads values strictly, reporting every problem
/// with the file and line it is on instead of stopping at the first.
/// </summary>
internal sealed partial class PolicyFile(string path, ICollection<PolicyError> errors)
{
    public string Path => path;

    public void Error(YamlNode node, string problem) => errors.Add(new PolicyError(path, node.Start.Line, problem));

    public void Error(long? line, string problem) => errors.Add(new PolicyError(path, line, problem));

    /// <summary>The top-level mapping of the file, or null (with the problem reported) when there is none to read.</summary>
    public YamlMappingNode? ParseRoot(string text)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException ex)
        {
            Error(Math.Max(1, ex.Start.Line), "YAML syntax error: " + WithoutPosition(ex.Message));
            return null;
        }

        if (stream.Documents.Count == 0)
        {
            Error(1, "the file is empty");
            return null;
        }

        if (stream.Documents.Count > 1)
        {
            Error(stream.Documents[1].RootNode, "the file holds more than one YAML document (---); keep everything in one");
            return null;
        }

        var root = stream.Documents[0].RootNode;
        if (root is not YamlMappingNode mapping)
        {
            Error(root, $"the file must be a mapping of keys, not a {Kind(root)}");
            return null;
        }

        return mapping;
    }

    /// <summary>A mapping whose keys must all be among <paramref name="keys"/>; null (reported) when the node is not a mapping.</summary>
    public StrictMapping? Mapping(YamlNode node, string what, params string[] keys)
    {
        if (node is not YamlMappingNode mapping)
        {
            Error(node, $"{what} must be a mapping of keys, not a {Kind(node)}");
            return null;
        }

        return StrictMapping.Create(this, mapping, what, keys);
    }

    /// <summary>
    /// One entry of a list, named in messages by its id (<c>purpose 'health-research'</c>) or, when the id
    /// is unusable, by its position (<c>purpose #3</c>).
    /// </summary>
    public StrictMapping? Entry(YamlNode node, string kind, int position, string? within, string idKey, params string[] keys)
    {
        var name = node is YamlMappingNode mapping
            && mapping.Children.TryGetValue(new YamlScalarNode(idKey), out var idNode)
            && idNode is YamlScalarNode { Value: { } id } && IdPattern().IsMatch(id)
                ? $"{kind} '{id}'"
                : string.Create(CultureInfo.InvariantCulture, $"{kind} #{position}");
        return Mapping(node, within is null ? name : $"{name} in {within}", keys);
    }

    public string? Text(YamlNode node, string what)
    {
        if (node is not YamlScalarNode scalar)
        {
            Error(node, $"{what} must be text, not a {Kind(node)}");
            return null;
        }

        if (IsEmpty(scalar))
        {
            Error(node, $"{what} is empty");
            return null;
        }

        return scalar.Value!;
    }

    public string? Identifier(YamlNode node, string what)
    {
        var text = Text(node, what);
        if (text is not null && !IdPattern().IsMatch(text))
        {
            Error(node, $"{what} is '{text}', not a valid id: use lower-case letters and digits, joined by '-' or '_', starting with a letter");
            return null;
        }

        return text;
    }

    public int? Integer(YamlNode node, string what)
    {
        if (node is YamlScalarNode { Style: ScalarStyle.Plain, Value: { } value }
            && int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number))
        {
            return number;
        }

        Error(node, $"{what} must be a whole number, not {Show(node)}");
        return null;
    }

    public bool? Boolean(YamlNode node, string what)
    {
        if (node is YamlScalarNode { Style: ScalarStyle.Plain, Value: "true" or "false" } scalar)
        {
            return scalar.Value == "true";
        }

        Error(node, $"{what} must be true or false, not {Show(node)}");
        return null;
    }

    public IsoDuration? Duration(YamlNode node, string what)
    {
        var text = Text(node, what);
        if (text is null)
        {
            return null;
        }

        if (!IsoDuration.TryParse(text, out var duration))
        {
            Error(node, $"{what} is '{text}', not an ISO 8601 duration such as P90D, P6M or P1Y");
            return null;
        }

        return duration;
    }

    /// <summary>True the first time an id is seen in a list; a repeat is reported with the line of the first.</summary>
    public bool FirstOccurrence(Dictionary<string, long> seen, string id, YamlNode node, string kind, string? within = null)
    {
        if (seen.TryGetValue(id, out var firstLine))
        {
            var where = within is null ? string.Empty : " in " + within;
            Error(node, string.Create(CultureInfo.InvariantCulture, $"duplicate {kind} '{id}'{where} (first defined on line {firstLine})"));
            return false;
        }

        seen[id] = node.Start.Line;
        return true;
    }

    /// <summary>Plain-language text: a mapping with non-empty <c>ja</c> and <c>en</c>.</summary>
    public PolicyText? Bilingual(YamlNode node, string what)
    {
        var mapping = Mapping(node, what, "ja", "en");
        if (mapping is null)
        {
            return null;
        }

        var ja = mapping.Required("ja") is { } jaNode ? Text(jaNode, $"the Japanese text (ja) of {what}") : null;
        var en = mapping.Required("en") is { } enNode ? Text(enNode, $"the English text (en) of {what}") : null;
        return ja is null || en is null ? null : new PolicyText(ja, en);
    }

    /// <summary>A non-empty list.</summary>
    public YamlSequenceNode? List(YamlNode node, string what)
    {
        if (node is not YamlSequenceNode sequence)
        {
            Error(node, $"{what} must be a list, not a {Kind(node)}");
            return null;
        }

        if (sequence.Children.Count == 0)
        {
            Error(node, $"{what} is an empty list");
            return null;
        }

        return sequence;
    }

    private static bool IsEmpty(YamlScalarNode scalar) =>
        string.IsNullOrWhiteSpace(scalar.Value)
        || (scalar.Style == ScalarStyle.Plain && scalar.Value is "~" or "null" or "Null" or "NULL");

    private static string Kind(YamlNode node) => node switch
    {
        YamlMappingNode => "mapping",
        YamlSequenceNode => "list",
        _ => "single value",
    };

    private static string Show(YamlNode node) => node switch
    {
        YamlScalarNode { Style: ScalarStyle.Plain } scalar when IsEmpty(scalar) => "an empty value",
        YamlScalarNode { Style: ScalarStyle.Plain } scalar => $"'{scalar.Value}'",
        YamlScalarNode scalar => $"the quoted text \"{scalar.Value}\"",
        _ => "a " + Kind(node),
    };

    // YamlDotNet prefixes its messages with "(Line: 3, Col: 5, Idx: 40) - (Line: 3, Col: 9, Idx: 44): ";
    // the line is reported separately, in the file:line form.
    private static string WithoutPosition(string message) => PositionPrefix().Replace(message, string.Empty);

    [GeneratedRegex(@"^[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*$", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 1000)]
    private static partial Regex IdPattern();

    [GeneratedRegex(@"^\(Line: \d+, Col: \d+, Idx: \d+\) - \(Line: \d+, Col: \d+, Idx: \d+\): ", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 1000)]
    private static partial Regex PositionPrefix();
}
