using System.Globalization;

namespace DataTrust.Policies.Loading;

/// <summary>One problem in the policy, as an operator reads it: <c>file:line: problem</c>.</summary>
/// <param name="Line">1-based line, or null when the problem is with the file as a whole (missing, unreadable).</param>
internal sealed record PolicyError(string File, long? Line, string Problem)
{
    public override string ToString() =>
        Line is { } line ? string.Create(CultureInfo.InvariantCulture, $"{File}:{line}: {Problem}") : $"{File}: {Problem}";
}
