using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace DataTrust.Identity.Protocol;

/// <summary>
/// Request parameters of an OAuth endpoint. RFC 6749 §3.1 and §3.2: parameters sent without a value
/// are treated as omitted, and none may appear more than once (RFC 8707 <c>resource</c> is read
/// separately because it may).
/// </summary>
internal sealed class RequestParameters
{
    private readonly Dictionary<string, string> _values;

    private RequestParameters(Dictionary<string, string> values, IReadOnlyList<string> resources, string? repeated)
    {
        _values = values;
        Resources = resources;
        Repeated = repeated;
    }

    public IReadOnlyList<string> Resources { get; }

    /// <summary>The first parameter that appeared more than once, if any.</summary>
    public string? Repeated { get; }

    public IReadOnlyDictionary<string, string> Values => _values;

    public string? this[string name] => _values.GetValueOrDefault(name);

    public bool Has(string name) => _values.ContainsKey(name);

    public static RequestParameters From(IEnumerable<KeyValuePair<string, StringValues>> source)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var resources = new List<string>();
        string? repeated = null;
        foreach (var (name, value) in source)
        {
            var present = value.Where(v => !string.IsNullOrEmpty(v)).ToList();
            if (present.Count == 0)
            {
                continue;
            }

            if (name == "resource")
            {
                resources.AddRange(present!);
                continue;
            }

            if (present.Count > 1)
            {
                repeated ??= name;
            }

            values[name] = present[0]!;
        }

        return new RequestParameters(values, resources, repeated);
    }

    public static RequestParameters FromDictionary(IReadOnlyDictionary<string, string> values) =>
        From(values.Select(p => new KeyValuePair<string, StringValues>(p.Key, p.Value)));

    /// <summary>The POST body of a token-style endpoint, or an error when it is not a form post.</summary>
    public static async Task<(RequestParameters? Parameters, OAuthError? Error)> ReadFormAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (!request.HasFormContentType || !(request.ContentType ?? "").StartsWith("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase))
        {
            return (null, OAuthError.InvalidRequest("The request body must be application/x-www-form-urlencoded."));
        }

        var form = await request.ReadFormAsync(cancellationToken);
        var parameters = From(form);
        return parameters.Repeated is { } name
            ? (null, OAuthError.InvalidRequest($"The parameter '{name}' appears more than once."))
            : (parameters, null);
    }
}
