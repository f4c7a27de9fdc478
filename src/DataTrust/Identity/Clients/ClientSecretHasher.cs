using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace DataTrust.Identity.Clients;

/// <summary>
/// Client secrets are generated with at least 256 bits of entropy, so a salted SHA-256 is enough
/// (no stretching is needed against guessing a random 256-bit value) and keeps the token endpoint fast.
/// Format: <c>sha256$&lt;salt&gt;$&lt;hash&gt;</c>, both base64url.
/// </summary>
internal static class ClientSecretHasher
{
    private const string Scheme = "sha256";

    public static string Hash(string secret)
    {
        var salt = RandomNumberGenerator.GetBytes(16);
        return $"{Scheme}${Base64Url.EncodeToString(salt)}${Base64Url.EncodeToString(Digest(salt, secret))}";
    }

    public static bool Verify(string? stored, string presented)
    {
        var parts = stored?.Split('$');
        if (parts is not [Scheme, var salt, var hash])
        {
            return false;
        }

        try
        {
            var expected = Base64Url.DecodeFromChars(hash);
            var actual = Digest(Base64Url.DecodeFromChars(salt), presented);
            return CryptographicOperations.FixedTimeEquals(expected, actual);
        }
        catch (FormatException)
        {
            return false;
        }
    }

    /// <summary>A new secret: 32 random bytes, base64url.</summary>
    public static string NewSecret() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));

    private static byte[] Digest(byte[] salt, string secret)
    {
        var secretBytes = Encoding.UTF8.GetBytes(secret);
        var input = new byte[salt.Length + secretBytes.Length];
        salt.CopyTo(input, 0);
        secretBytes.CopyTo(input, salt.Length);
        return SHA256.HashData(input);
    }
}
