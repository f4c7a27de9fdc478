using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.IdentityModel.Tokens;

namespace DataTrust.Brokering;

/// <summary>
/// End-to-end encryption of a release to the recipient's registered key: JWE compact serialisation
/// (RFC 7516) with <c>alg: ECDH-ES</c> (direct key agreement, RFC 7518 §4.6) and <c>enc: A256GCM</c>.
/// Written here because Microsoft.IdentityModel 8.16 does not create ECDH-ES JWEs; only the BCL's
/// ECDiffieHellman, SHA-256 (Concat KDF, NIST SP 800-56A) and AesGcm are used. Checked against npm <c>jose</c>.
/// </summary>
internal static class RecipientEncryption
{
    public const string ContentType = "application/jose";
    private const string Enc = "A256GCM";

    /// <summary>The client's first EC P-256 public key with <c>use: enc</c> (or no <c>use</c> but <c>alg: ECDH-ES</c>) from its JWK Set.</summary>
    public static JsonWebKey? FindKey(string? jwks)
    {
        if (string.IsNullOrWhiteSpace(jwks))
        {
            return null;
        }

        try
        {
            return new JsonWebKeySet(jwks).Keys.FirstOrDefault(k =>
                k.Kty == "EC" && k.Crv == "P-256" && !string.IsNullOrEmpty(k.X) && !string.IsNullOrEmpty(k.Y)
                && (k.Use == "enc" || (string.IsNullOrEmpty(k.Use) && k.Alg == "ECDH-ES")));
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    public static byte[] Encrypt(byte[] plaintext, JsonWebKey recipientKey)
    {
        using var recipient = ECDiffieHellman.Create(new ECParameters
        {
            Curve = ECCurve.NamedCurves.nistP256,
            Q = new ECPoint { X = Base64UrlEncoder.DecodeBytes(recipientKey.X), Y = Base64UrlEncoder.DecodeBytes(recipientKey.Y) },
        });
        using var ephemeral = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        var epk = ephemeral.ExportParameters(false);
        var header = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            ["alg"] = "ECDH-ES",
            ["enc"] = Enc,
            ["cty"] = "json",
            ["epk"] = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["kty"] = "EC", ["crv"] = "P-256", ["x"] = Base64UrlEncoder.Encode(epk.Q.X), ["y"] = Base64UrlEncoder.Encode(epk.Q.Y),
            },
        };
        if (!string.IsNullOrEmpty(recipientKey.Kid))
        {
            header["kid"] = recipientKey.Kid;
        }

        var protectedHeader = Base64UrlEncoder.Encode(JsonSerializer.SerializeToUtf8Bytes(header));
        var z = ephemeral.DeriveRawSecretAgreement(recipient.PublicKey);
        var key = ConcatKdf(z, Enc, 256);
        CryptographicOperations.ZeroMemory(z);
        var iv = RandomNumberGenerator.GetBytes(12);
        var ciphertext = new byte[plaintext.Length];
        var tag = new byte[16];
        try
        {
            using var aes = new AesGcm(key, 16);
            aes.Encrypt(iv, plaintext, ciphertext, tag, Encoding.ASCII.GetBytes(protectedHeader));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
            CryptographicOperations.ZeroMemory(plaintext);
        }

        // Compact serialisation: header . (empty encrypted key for direct agreement) . iv . ciphertext . tag
        return Encoding.ASCII.GetBytes(string.Join('.', protectedHeader, "", Base64UrlEncoder.Encode(iv), Base64UrlEncoder.Encode(ciphertext), Base64UrlEncoder.Encode(tag)));
    }

    /// <summary>RFC 7518 §4.6.2: one SHA-256 round suffices for 256 bits; AlgorithmID is the <c>enc</c> value, PartyU/V empty.</summary>
    internal static byte[] ConcatKdf(byte[] z, string algorithmId, int keyBits)
    {
        var alg = Encoding.ASCII.GetBytes(algorithmId);
        var input = new byte[4 + z.Length + 4 + alg.Length + 4 + 4 + 4];
        var span = input.AsSpan();
        BinaryPrimitives.WriteInt32BigEndian(span, 1); // round counter
        z.CopyTo(span[4..]);
        var at = 4 + z.Length;
        BinaryPrimitives.WriteInt32BigEndian(span[at..], alg.Length);
        alg.CopyTo(span[(at + 4)..]);
        at += 4 + alg.Length;
        BinaryPrimitives.WriteInt32BigEndian(span[at..], 0); // PartyUInfo: empty
        BinaryPrimitives.WriteInt32BigEndian(span[(at + 4)..], 0); // PartyVInfo: empty
        BinaryPrimitives.WriteInt32BigEndian(span[(at + 8)..], keyBits); // SuppPubInfo
        var key = SHA256.HashData(input);
        CryptographicOperations.ZeroMemory(input);
        return key;
    }
}
