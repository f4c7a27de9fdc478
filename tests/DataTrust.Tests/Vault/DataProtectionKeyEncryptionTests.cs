using System.Security.Cryptography;
using System.Xml.Linq;
using DataTrust.Persistence;
using DataTrust.Tests.Infrastructure;
using DataTrust.Vault.Keys;
using DataTrust.Vault.Rotation;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace DataTrust.Tests.Vault;

/// <summary>The Data Protection key ring is sealed under a vault KEK: nothing in a stored key opens without it.</summary>
public sealed class DataProtectionKeyCipherTests
{
    private static readonly XElement MasterKey = new("masterKey", new XElement("value", "master-key-material"));

    [Fact]
    public void A_sealed_key_opens_only_with_its_KEK_version_and_unaltered()
    {
        using var ring = Ring(current: 2, 1, 2);
        var sealedKey = DataProtectionKeyCipher.Encrypt(ring, MasterKey);

        sealedKey.ToString().ShouldNotContain("master-key-material");
        DataProtectionKeyCipher.VersionOf(sealedKey).ShouldBe(2);
        DataProtectionKeyCipher.Decrypt(ring, sealedKey).ToString().ShouldBe(MasterKey.ToString());
        DataProtectionKeyCipher.Encrypt(ring, MasterKey).Value.ShouldNotBe(sealedKey.Value, "a fresh salt and nonce every time");

        var bytes = Convert.FromBase64String(sealedKey.Value);
        bytes[^1] ^= 1;
        ShouldNotOpen(ring, With(sealedKey, value: Convert.ToBase64String(bytes)), "tampered tag");
        ShouldNotOpen(ring, With(sealedKey, kek: "1"), "the version is bound to the ciphertext");
        ShouldNotOpen(ring, With(sealedKey, salt: Convert.ToBase64String(new byte[16])), "the salt is bound to the ciphertext");
        ShouldNotOpen(ring, With(sealedKey, salt: "AAAA"), "short salt");
        ShouldNotOpen(ring, With(sealedKey, value: "not base64!"), "not base64");
        ShouldNotOpen(ring, With(sealedKey, value: "AAAA"), "truncated");
        ShouldNotOpen(ring, new XElement("somethingElse", sealedKey.Value), "not ours");
        using var other = Ring(current: 1, 1);
        ShouldNotOpen(other, sealedKey, "version 2 is not in that ring").Message.ShouldContain("version 2");
    }

    [Fact]
    public void Re_encryption_moves_every_part_under_an_older_version_to_the_current_one_and_leaves_the_rest()
    {
        using var old = Ring(current: 1, 1, 2);
        using var ring = Ring(current: 2, 1, 2);
        var key = new XElement("key", new XAttribute("id", "k1"), new XElement("descriptor", new XElement("encryptedSecret", DataProtectionKeyCipher.Encrypt(old, MasterKey))));
        DataProtectionKeyCipher.Versions(key).ShouldBe([1]);

        var fresh = DataProtectionKeyCipher.Reencrypted(ring, new XElement(key)).ShouldNotBeNull();

        DataProtectionKeyCipher.Versions(fresh).ShouldBe([2]);
        ((string?)fresh.Attribute("id")).ShouldBe("k1");
        DataProtectionKeyCipher.Decrypt(ring, fresh.Descendants(DataProtectionKeyCipher.ElementName).Single()).ToString().ShouldBe(MasterKey.ToString());
        DataProtectionKeyCipher.Reencrypted(ring, fresh).ShouldBeNull("nothing is left under an older version");
        using var without1 = Ring(current: 2, 2);
        DataProtectionKeyCipher.Reencrypted(without1, new XElement(key)).ShouldBeNull("a part under a version not in the ring cannot be read, and stays");
    }

    private static KeyEncryptionKeyRing Ring(int current, params int[] versions) =>
        new(versions.Select(v => (v, Enumerable.Repeat((byte)v, KeyEncryptionKeyRing.KeySize).ToArray())), current, [], new KeyRingSource(KeyRingSourceKind.Configuration, null));

    private static XElement With(XElement sealedKey, string? kek = null, string? salt = null, string? value = null)
    {
        var copy = new XElement(sealedKey);
        if (kek is not null)
        {
            copy.SetAttributeValue("kek", kek);
        }

        if (salt is not null)
        {
            copy.SetAttributeValue("salt", salt);
        }

        if (value is not null)
        {
            copy.Value = value;
        }

        return copy;
    }

    private static CryptographicException ShouldNotOpen(KeyEncryptionKeyRing ring, XElement element, string because) =>
        Should.Throw<CryptographicException>(() => DataProtectionKeyCipher.Decrypt(ring, element), because);
}

/// <summary>
/// What the service stores: Data Protection keys (sign-in cookies, anti-forgery, the signing keys' private parts)
/// sealed under the vault KEK, readable by another instance with the same KEKs, and carried through a KEK rotation
/// so that the old KEK can be destroyed.
/// </summary>
public sealed class DataProtectionKeyStorageTests() : VaultTestBase(StorageProvider.Sqlite)
{
    [Fact]
    public async Task The_key_ring_is_stored_sealed_and_survives_a_KEK_rotation_and_the_old_KEK_being_destroyed()
    {
        using var a = StartService();
        var payload = a.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector("test").Protect("sign-in");
        var rows = await KeysAsync(a);
        rows.ShouldNotBeEmpty();
        rows.ShouldAllBe(xml => !xml.Contains("<value>", StringComparison.Ordinal), "no master key in the clear");
        rows.Select(xml => DataProtectionKeyCipher.Versions(XElement.Parse(xml)).ToList()).ShouldAllBe(versions => versions.SequenceEqual(new[] { 1 }));

        var administration = Service<KeyEncryptionKeyAdministration>(a);
        administration.AddVersion().ShouldBe(2);
        (await administration.WhyNotDestroyAsync(1, default))!.ShouldContain($"{rows.Count} Data Protection key(s)");

        var rotation = await Service<KeyEncryptionKeyRotation>(a).RewrapAllAsync();
        rotation.ShouldBe(new KekRotationResult(2, 0, 0, 0, rows.Count));
        (await Service<KeyEncryptionKeyRotation>(a).RewrapAllAsync()).ProtectionKeysReencrypted.ShouldBe(0, "a second run finds nothing to do");
        (await KeysAsync(a)).Select(xml => DataProtectionKeyCipher.Versions(XElement.Parse(xml)).ToList()).ShouldAllBe(versions => versions.SequenceEqual(new[] { 2 }));
        (await administration.WhyNotDestroyAsync(1, default)).ShouldBeNull();
        await administration.DestroyVersionAsync(1, default);

        // A new instance, with only KEK 2, reads the ring from the database: what was protected before the rotation still opens.
        using var b = SecondInstance(a, a.Database.DataDirectory);
        b.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector("test").Unprotect(payload).ShouldBe("sign-in");
        (await KeysAsync(b)).Count.ShouldBe(rows.Count, "it found the ring, and made no key of its own");
    }

    [Fact]
    public void An_instance_without_the_KEK_cannot_open_what_the_ring_protects()
    {
        using var a = StartService();
        var payload = a.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector("test").Protect("sign-in");

        using var stranger = SecondInstance(a, dataDirectory: null);

        Should.Throw<CryptographicException>(() => stranger.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector("test").Unprotect(payload));
    }

    /// <summary>Another instance on <paramref name="first"/>'s database; with its KEKs when given its data directory, else with a key file of its own.</summary>
    private static DataTrustFactory SecondInstance(DataTrustFactory first, string? dataDirectory)
    {
        var settings = new Dictionary<string, string?>(StringComparer.Ordinal) { ["ConnectionStrings:DataTrust"] = first.Database.ConnectionString };
        if (dataDirectory is not null)
        {
            settings["DataTrust:DataDirectory"] = dataDirectory;
        }

        return new DataTrustFactory(StorageProvider.Sqlite, settings);
    }

    private static async Task<List<string>> KeysAsync(DataTrustFactory factory)
    {
        await using var db = factory.NewDbContext();
        return await db.Set<DataProtectionKey>().AsNoTracking().OrderBy(k => k.Id).Select(k => k.Xml).ToListAsync();
    }
}
