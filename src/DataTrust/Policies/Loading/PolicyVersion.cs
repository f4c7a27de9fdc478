using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace DataTrust.Policies.Loading;

/// <summary>
/// The policy version: <c>sha256:&lt;hex&gt;</c> over a canonical form of the policy files, so the
/// same policy has the same version on every machine, whatever the checkout's line endings.
/// </summary>
internal static class PolicyVersion
{
    public const string Prefix = "sha256:";

    /// <summary>The text as it is parsed and hashed: no byte-order mark, LF line endings.</summary>
    public static string Normalise(string text) => text.TrimStart('\uFEFF').Replace("\r\n", "\n", StringComparison.Ordinal);

    /// <summary>
    /// Canonical form: for each file in ordinal order of its name, the name, LF, the byte length of its
    /// normalised UTF-8 text, LF, that text, LF. The lengths keep file boundaries unambiguous.
    /// </summary>
    public static string Compute(IReadOnlyDictionary<string, string> normalisedTextByFileName)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var (name, text) in normalisedTextByFileName.OrderBy(f => f.Key, StringComparer.Ordinal))
        {
            var bytes = Encoding.UTF8.GetBytes(text);
            hash.AppendData(Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{name}\n{bytes.Length}\n")));
            hash.AppendData(bytes);
            hash.AppendData("\n"u8);
        }

        return Prefix + Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
