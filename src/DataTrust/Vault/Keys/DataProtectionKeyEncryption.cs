using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection.XmlEncryption;
using Microsoft.Extensions.DependencyInjection;

namespace DataTrust.Vault.Keys;

/// <summary>
/// Encrypts the ASP.NET Core Data Protection key ring (which protects session cookies, anti-forgery and Identity
/// tokens, and the token-signing keys' private parts) under the vault's key-encryption keys, so that a copy of the
/// database alone opens none of them: the KEKs are never stored in it. Stored form, in place of each master key:
/// <c>&lt;encryptedKey kek="v" salt="…"&gt;nonce ‖ ciphertext ‖ tag&lt;/encryptedKey&gt;</c> (base64), AES-256-GCM under
/// <c>HKDF-SHA256(KEK_v, info = context)</c> with AAD = context, where context = <c>"datatrust/data-protection-key/v1"
/// ‖ KEK version ‖ salt</c>: a fresh key for every element, so nonce limits never apply to the KEK.
/// </summary>
internal sealed class DataProtectionKeyEncryptor(KeyRingProvider keyRing) : IXmlEncryptor
{
    public EncryptedXmlInfo Encrypt(XElement plaintextElement) =>
        new(DataProtectionKeyCipher.Encrypt(keyRing.Ring, plaintextElement), typeof(DataProtectionKeyDecryptor));
}

/// <summary>
/// Data Protection creates this from the type name stored with each key (<c>decryptorType</c>), with the service
/// provider: renaming or moving the class makes the stored keys unreadable.
/// </summary>
internal sealed class DataProtectionKeyDecryptor(IServiceProvider services) : IXmlDecryptor
{
    public XElement Decrypt(XElement encryptedElement) =>
        DataProtectionKeyCipher.Decrypt(services.GetRequiredService<KeyRingProvider>().Ring, encryptedElement);
}

internal static class DataProtectionKeyCipher
{
    public const string ElementName = "encryptedKey";

    private const int SaltSize = 16;
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private static readonly byte[] Label = Encoding.ASCII.GetBytes("datatrust/data-protection-key/v1");

    public static XElement Encrypt(KeyEncryptionKeyRing ring, XElement plaintextElement)
    {
        var version = ring.CurrentVersion;
        var salt = RandomNumberGenerator.GetBytes(SaltSize);
        var plaintext = Encoding.UTF8.GetBytes(plaintextElement.ToString(SaveOptions.DisableFormatting));
        var sealedBytes = new byte[NonceSize + plaintext.Length + TagSize];
        try
        {
            RandomNumberGenerator.Fill(sealedBytes.AsSpan(0, NonceSize));
            using var aes = Cipher(ring, version, salt);
            var context = Context(version, salt);
            aes.Encrypt(sealedBytes.AsSpan(0, NonceSize), plaintext, sealedBytes.AsSpan(NonceSize, plaintext.Length), sealedBytes.AsSpan(NonceSize + plaintext.Length), context);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }

        return new XElement(
            ElementName,
            new XAttribute("kek", version.ToString(CultureInfo.InvariantCulture)),
            new XAttribute("salt", Convert.ToBase64String(salt)),
            Convert.ToBase64String(sealedBytes));
    }

    /// <summary>Throws <see cref="CryptographicException"/> when the KEK version is not in the ring or the element was altered.</summary>
    public static XElement Decrypt(KeyEncryptionKeyRing ring, XElement encryptedElement)
    {
        var version = VersionOf(encryptedElement)
            ?? throw new CryptographicException($"Not a DataTrust {ElementName} element.");
        byte[] salt, sealedBytes;
        try
        {
            salt = Convert.FromBase64String((string?)encryptedElement.Attribute("salt") ?? "");
            sealedBytes = Convert.FromBase64String(encryptedElement.Value);
        }
        catch (FormatException e)
        {
            throw new CryptographicException($"The {ElementName} element is not base64.", e);
        }

        if (salt.Length != SaltSize || sealedBytes.Length < NonceSize + TagSize)
        {
            throw new CryptographicException($"The {ElementName} element is truncated.");
        }

        var plaintext = new byte[sealedBytes.Length - NonceSize - TagSize];
        try
        {
            using var aes = Cipher(ring, version, salt);
            aes.Decrypt(sealedBytes.AsSpan(0, NonceSize), sealedBytes.AsSpan(NonceSize, plaintext.Length), sealedBytes.AsSpan(NonceSize + plaintext.Length), plaintext, Context(version, salt));
            return XElement.Parse(Encoding.UTF8.GetString(plaintext));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }

    /// <summary>The KEK versions that the parts of a stored Data Protection key are encrypted under.</summary>
    public static IEnumerable<int> Versions(XElement key) =>
        key.DescendantsAndSelf(ElementName).Select(VersionOf).OfType<int>();

    /// <summary>
    /// The stored key with every part under an older KEK version re-encrypted under the current one; null when none
    /// is (or when a part's version is not in the ring: that part cannot be read, so it is left as it is).
    /// </summary>
    public static XElement? Reencrypted(KeyEncryptionKeyRing ring, XElement key)
    {
        var stale = key.Descendants(ElementName)
            .Where(e => VersionOf(e) is { } version && version != ring.CurrentVersion && ring.Contains(version))
            .ToList();
        foreach (var part in stale)
        {
            part.ReplaceWith(Encrypt(ring, Decrypt(ring, part)));
        }

        return stale.Count > 0 ? key : null;
    }

    /// <summary>The KEK version an element of ours is encrypted under; null for any other element.</summary>
    public static int? VersionOf(XElement element) =>
        element.Name == ElementName && int.TryParse((string?)element.Attribute("kek"), NumberStyles.None, CultureInfo.InvariantCulture, out var version)
            ? version
            : null;

    private static AesGcm Cipher(KeyEncryptionKeyRing ring, int version, byte[] salt)
    {
        Span<byte> key = stackalloc byte[32];
        try
        {
            if (!ring.TryDeriveKey(version, Context(version, salt), key))
            {
                throw new CryptographicException($"Key-encryption key version {version}, which encrypts a Data Protection key, is not in the key ring.");
            }

            return new AesGcm(key, TagSize);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    private static byte[] Context(int version, byte[] salt)
    {
        var context = new byte[Label.Length + 4 + salt.Length];
        Label.CopyTo(context, 0);
        BinaryPrimitives.WriteInt32BigEndian(context.AsSpan(Label.Length), version);
        salt.CopyTo(context, Label.Length + 4);
        return context;
    }
}
