using YamlDotNet.RepresentationModel;

namespace DataTrust.Policies.Loading;

/// <summary>
/// A YAML mapping read strictly: a key outside the expected set is reported where it is written, a
/// missing required key where the mapping starts, and each value is type-checked as it is read.
/// </summary>
internal sealed class StrictMapping
{
    private readonly PolicyFile _file;
    private readonly Dictionary<string, YamlNode> _values;

    private StrictMapping(PolicyFile file, YamlMappingNode node, string what, Dictionary<string, YamlNode> values)
    {
        _file = file;
        Node = node;
        What = what;
        _values = values;
    }

    public YamlMappingNode Node { get; }

    /// <summary>How messages name this mapping, e.g. <c>purpose 'health-research'</c>.</summary>
    public string What { get; }

    public long Line => Node.Start.Line;

    /// <summary>The top-level mapping of a file; messages name its keys without a parent.</summary>
    public static StrictMapping Root(PolicyFile file, YamlMappingNode node, params string[] keys) => Create(file, node, string.Empty, keys);

    public static StrictMapping Create(PolicyFile file, YamlMappingNode node, string what, string[] keys)
    {
        var values = new Dictionary<string, YamlNode>(StringComparer.Ordinal);
        foreach (var (keyNode, value) in node.Children)
        {
            if (keyNode is not YamlScalarNode { Value: { } key })
            {
                file.Error(keyNode, $"a key in {Name(what)} must be a plain name, not a structure");
            }
            else if (!keys.Contains(key, StringComparer.Ordinal))
            {
                file.Error(keyNode, $"unknown key '{key}' in {Name(what)} (expected: {string.Join(", ", keys)})");
            }
            else
            {
                values[key] = value;
            }
        }

        return new StrictMapping(file, node, what, values);
    }

    public YamlNode? Optional(string key) => _values.GetValueOrDefault(key);

    public YamlNode? Required(string key)
    {
        var value = Optional(key);
        if (value is null)
        {
            _file.Error(Node, $"{Name(What)} is missing the required key '{key}'");
        }

        return value;
    }

    public string? Text(string key) => Required(key) is { } node ? _file.Text(node, Describe(key)) : null;

    public string? Identifier(string key) => Required(key) is { } node ? _file.Identifier(node, Describe(key)) : null;

    public int? Integer(string key) => Required(key) is { } node ? _file.Integer(node, Describe(key)) : null;

    public bool? Boolean(string key) => Required(key) is { } node ? _file.Boolean(node, Describe(key)) : null;

    public bool? OptionalBoolean(string key, bool whenAbsent) =>
        Optional(key) is { } node ? _file.Boolean(node, Describe(key)) : whenAbsent;

    public IsoDuration? Duration(string key) => Required(key) is { } node ? _file.Duration(node, Describe(key)) : null;

    public PolicyText? Bilingual(string key) => Required(key) is { } node ? _file.Bilingual(node, Describe(key)) : null;

    public YamlSequenceNode? List(string key) => Required(key) is { } node ? _file.List(node, Describe(key)) : null;

    /// <summary>A value that must be one of a fixed set of words, e.g. <c>sensitivity: special-care</c>.</summary>
    public T? Choice<T>(string key, IReadOnlyDictionary<string, T> choices)
        where T : struct
    {
        var text = Text(key);
        if (text is null)
        {
            return null;
        }

        if (choices.TryGetValue(text, out var choice))
        {
            return choice;
        }

        _file.Error(_values[key], $"{Describe(key)} is '{text}', but must be one of: {string.Join(", ", choices.Keys)}");
        return null;
    }

    public StrictMapping? Mapping(string key, params string[] keys) =>
        Required(key) is { } node ? _file.Mapping(node, Describe(key), keys) : null;

    private static string Name(string what) => what.Length == 0 ? "this file" : what;

    private string Describe(string key) => What.Length == 0 ? $"'{key}'" : $"'{key}' of {What}";
}
