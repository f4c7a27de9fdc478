using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace DataTrust.Vault.Crypto;

/// <summary>
/// AES-256-GCM for vault records: a random 96-bit nonce per encryption (the data key's usage counter
/// keeps the count far below the 2^32 random-nonce limit) and a 128-bit tag. The AAD binds
/// <c>"datatrust/vault/record/v1" ‖ resident id ‖ record id ‖ DEK version ‖ schema version ‖ len ‖ category id</c>
/// (fixed-width fields first, then the length-prefixed category, so no two contexts encode alike); the KEK
/// version is bound through the data key's wrap.
/// </summary>
internal static class RecordCipher
{
    public const int NonceSize = 12;
    public const int TagSize = 16;
    private static readonly byte[] Label = Encoding.ASCII.GetBytes("datatrust/vault/record/v1");

    public static byte[] AssociatedData(Guid residentId, Guid recordId, int dataKeyVersion, int schemaVersion, string categoryId)
    {
        var category = Encoding.UTF8.GetBytes(categoryId);
        var aad = new byte[Label.Length + 16 + 16 + 4 + 4 + 2 + category.Length];
        var span = aad.AsSpan();
        Label.CopyTo(span);
        span = span[Label.Length..];
        residentId.TryWriteBytes(span[..16], bigEndian: true, out _);
        recordId.TryWriteBytes(span[16..32], bigEndian: true, out _);
        BinaryPrimitives.WriteInt32BigEndian(span[32..], dataKeyVersion);
        BinaryPrimitives.WriteInt32BigEndian(span[36..], schemaVersion);
        BinaryPrimitives.WriteUInt16BigEndian(span[40..], checked((ushort)category.Length));
        category.CopyTo(span[42..]);
        return aad;
    }

    public static EncryptedPayload Encrypt(ReadOnlySpan<byte> dataKey, ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> associatedData)
    {
        var nonce = RandomNumberGenerator.GetBytes(NonceSize);
        var ciphertext = new byte[plaintext.Length];
        var tag = new byte[TagSize];
        using var aes = new AesGcm(dataKey, TagSize);
        aes.Encrypt(nonce, plaintext, ciphertext, tag, associatedData);
        return new EncryptedPayload(nonce, ciphertext, tag);
    }

    /// <summary>Decrypts into a new array; null on any failure (wrong key, wrong context, tampering, malformed parts).</summary>
    public static byte[]? TryDecrypt(ReadOnlySpan<byte> dataKey, EncryptedPayload payload, ReadOnlySpan<byte> associatedData)
    {
        if (payload.Nonce.Length != NonceSize || payload.Tag.Length != TagSize)
        {
            return null;
        }

        var plaintext = new byte[payload.Ciphertext.Length];
        try
        {
            using var aes = new AesGcm(dataKey, TagSize);
            aes.Decrypt(payload.Nonce, payload.Ciphertext, payload.Tag, plaintext, associatedData);
            return plaintext;
        }
        catch (AuthenticationTagMismatchException)
        {
            CryptographicOperations.ZeroMemory(plaintext); // .NET already clears it; cheap to be sure
            return null;
        }
    }
}

/// <summary>The three stored parts of an encrypted record.</summary>
internal sealed record EncryptedPayload(byte[] Nonce, byte[] Ciphertext, byte[] Tag);
