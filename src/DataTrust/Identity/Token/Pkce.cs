using System.Security.Cryptography;
using System.Text;
using DataTrust.Identity.Protocol;
using Microsoft.IdentityModel.Tokens;

namespace DataTrust.Identity.Token;

/// <summary>PKCE with S256 only (RFC 7636 §4; RFC 9700 §2.1.1 rules out <c>plain</c>).</summary>
internal static class Pkce
{
    public const string S256 = "S256";

    /// <summary>RFC 7636 §4.1: 43 to 128 unreserved characters.</summary>
    public static bool IsWellFormed(string value) =>
        value.Length is >= 43 and <= 128 && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_' or '~');

    public static bool Matches(string? verifier, string challenge) =>
        verifier is not null && IsWellFormed(verifier)
        && TokenHash.FixedTimeEquals(Base64UrlEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(verifier))), challenge);
}
