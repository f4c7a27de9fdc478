using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using DataTrust.Vault.Keys;

namespace DataTrust.Vault.Crypto;

/// <summary>
/// Wraps a resident's 256-bit data key (DEK) under a key-encryption key (KEK) version. Stored form:
/// <c>nonce (12) ‖ ciphertext (32) ‖ tag (16)</c>, AES-256-GCM under
/// <c>HKDF-SHA256(KEK_v, info = context)</c> with AAD = context, where
/// context = <c>"datatrust/vault/dek-wrap/v1" ‖ resident id ‖ DEK version ‖ KEK version</c>.
/// Deriving a fresh wrapping key per (resident, DEK version, KEK version) means each derived key encrypts
/// exactly one DEK, so random-nonce limits never apply to the KEK, and a wrapped DEK copied to another
/// resident or version cannot be unwrapped.
/// </summary>
internal static class DataKeyWrap
{
    public const int DataKeySize = 32;
    public const int WrappedSize = NonceSize + DataKeySize + TagSize;

    private const int NonceSize = 12;
    private const int TagSize = 16;
    private static readonly byte[] Label = Encoding.ASCII.GetBytes("datatrust/vault/dek-wrap/v1");

    public static byte[] NewDataKey() => RandomNumberGenerator.GetBytes(DataKeySize);

    /// <summary>Wraps <paramref name="dataKey"/> under the ring's current KEK version.</summary>
    public static byte[] Wrap(KeyEncryptionKeyRing ring, Guid residentId, int dataKeyVersion, ReadOnlySpan<byte> dataKey, out int kekVersion)
    {
        kekVersion = ring.CurrentVersion;
        Span<byte> context = stackalloc byte[Label.Length + 24];
        WriteContext(context, residentId, dataKeyVersion, kekVersion);
        Span<byte> wrappingKey = stackalloc byte[32];
        try
        {
            ring.TryDeriveKey(kekVersion, context, wrappingKey);
            var wrapped = new byte[WrappedSize];
            var nonce = wrapped.AsSpan(0, NonceSize);
            RandomNumberGenerator.Fill(nonce);
            using var aes = new AesGcm(wrappingKey, TagSize);
            aes.Encrypt(nonce, dataKey, wrapped.AsSpan(NonceSize, DataKeySize), wrapped.AsSpan(NonceSize + DataKeySize, TagSize), context);
            return wrapped;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(wrappingKey);
        }
    }

    /// <summary>Unwraps into <paramref name="dataKey"/>; false on any failure (KEK version absent, wrong context, tampering).</summary>
    public static bool TryUnwrap(KeyEncryptionKeyRing ring, Guid residentId, int dataKeyVersion, int kekVersion, ReadOnlySpan<byte> wrapped, Span<byte> dataKey)
    {
        if (wrapped.Length != WrappedSize || dataKey.Length != DataKeySize)
        {
            return false;
        }

        Span<byte> context = stackalloc byte[Label.Length + 24];
        WriteContext(context, residentId, dataKeyVersion, kekVersion);
        Span<byte> wrappingKey = stackalloc byte[32];
        try
        {
            if (!ring.TryDeriveKey(kekVersion, context, wrappingKey))
            {
                return false;
            }

            using var aes = new AesGcm(wrappingKey, TagSize);
            aes.Decrypt(wrapped[..NonceSize], wrapped.Slice(NonceSize, DataKeySize), wrapped.Slice(NonceSize + DataKeySize, TagSize), dataKey, context);
            return true;
        }
        catch (AuthenticationTagMismatchException)
        {
            CryptographicOperations.ZeroMemory(dataKey);
            return false;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(wrappingKey);
        }
    }

    private static void WriteContext(Span<byte> context, Guid residentId, int dataKeyVersion, int kekVersion)
    {
        Label.CopyTo(context);
        var rest = context[Label.Length..];
        residentId.TryWriteBytes(rest[..16], bigEndian: true, out _);
        BinaryPrimitives.WriteInt32BigEndian(rest[16..], dataKeyVersion);
        BinaryPrimitives.WriteInt32BigEndian(rest[20..], kekVersion);
    }
}
