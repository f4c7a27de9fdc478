using System.Security.Cryptography;
using System.Text;
using Microsoft.IdentityModel.Tokens;

namespace DataTrust.Identity.Protocol;

/// <summary>Random opaque values (codes, refresh tokens, request ids) and the hashes they are stored under.</summary>
internal static class TokenHash
{
    /// <summary>256 random bits, base64url (43 characters).</summary>
    public static string NewValue() => Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32));

    public static string Of(string value) => Base64UrlEncoder.Encode(SHA256.HashData(Encoding.UTF8.GetBytes(value)));

    /// <summary>The left half of SHA-256, base64url: <c>at_hash</c> (OIDC Core §3.3.2.11) for ES256/RS256.</summary>
    public static string LeftHalf(string value)
    {
        var hash = SHA256.HashData(Encoding.ASCII.GetBytes(value));
        return Base64UrlEncoder.Encode(hash.AsSpan(0, hash.Length / 2).ToArray());
    }

    public static bool FixedTimeEquals(string a, string b) =>
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(a), Encoding.UTF8.GetBytes(b));
}
