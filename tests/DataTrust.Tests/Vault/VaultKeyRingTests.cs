using System.Runtime.Versioning;
using System.Security.Cryptography;
using DataTrust.Common;
using DataTrust.Persistence;
using DataTrust.Tests.Common;
using DataTrust.Vault;
using DataTrust.Vault.Keys;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace DataTrust.Tests.Vault;

/// <summary>Where key-encryption keys come from, and how a wrong setting stops the start.</summary>
[UnsupportedOSPlatform("windows")]
public sealed class VaultKeyRingTests() : VaultTestBase(StorageProvider.Sqlite)
{
    [Fact]
    public async Task Development_generates_an_owner_only_key_file_outside_the_database_with_a_loud_warning()
    {
        using var factory = StartService();
        var resident = Guid.NewGuid();
        await PutAsync(factory, resident, "health.checkup", CanaryJson);

        var path = Path.Combine(factory.Database.DataDirectory, "keys", "vault-keys.json");
        File.Exists(path).ShouldBeTrue();
        File.GetUnixFileMode(path).ShouldBe(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.GetUnixFileMode(Path.GetDirectoryName(path)!).ShouldBe(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        factory.Logs.All.ShouldContain("DEVELOPMENT key-encryption keys");
        factory.Logs.All.ShouldContain("do not use them in production");

        using var file = KeyRingFile.Read(path);
        var kek = file.Keys.Single().Key;
        Contains(await DatabaseContentAsync(factory), kek).ShouldBeFalse("the KEK is never stored in the database it protects");
        factory.Logs.All.ShouldNotContain(Convert.ToBase64String(kek));

        Service<KeyEncryptionKeyAdministration>(factory).AddVersion();
        File.GetUnixFileMode(path).ShouldBe(UnixFileMode.UserRead | UnixFileMode.UserWrite, "a rewritten key file keeps its mode");
    }

    [Fact]
    public async Task Production_without_keys_does_not_start_and_names_the_setting()
    {
        var (exitCode, stderr) = await StartupFailureTests.RunServiceAsync([], withVaultKey: false);

        exitCode.ShouldBe(1);
        stderr.ShouldContain("DataTrust cannot start: The vault's key-encryption keys are not configured: set Vault:KeyFile");
        stderr.ShouldNotContain("   at ");
    }

    [Fact]
    public void Production_reads_keys_from_configuration_with_the_highest_version_current_unless_named()
    {
        var one = NewKey();
        var two = NewKey();
        using (var ring = NewProvider("Production", new VaultOptions { Keys = { ["1"] = one, ["2"] = two } }).Ring)
        {
            ring.Versions.ShouldBe([1, 2]);
            ring.CurrentVersion.ShouldBe(2);
            ring.Source.Kind.ShouldBe(KeyRingSourceKind.Configuration);
        }

        using (var ring = NewProvider("Production", new VaultOptions { Keys = { ["1"] = one, ["2"] = two }, CurrentKey = 1 }).Ring)
        {
            ring.CurrentVersion.ShouldBe(1);
        }
    }

    [Fact]
    public void Wrong_key_settings_stop_the_start_without_echoing_key_material()
    {
        var secretLooking = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16)); // a valid base64 string, but 128 bits
        Refused(new VaultOptions { Keys = { ["1"] = secretLooking } }, "Vault:Keys:1 is not a base64-encoded 256-bit", secretLooking);
        Refused(new VaultOptions { Keys = { ["1"] = "not base64!" } }, "Vault:Keys:1 is not a base64-encoded 256-bit", "not base64!");
        Refused(new VaultOptions { Keys = { ["first"] = NewKey() } }, "Vault:Keys:first is not a key version");
        Refused(new VaultOptions { Keys = { ["1"] = NewKey() }, CurrentKey = 3 }, "Vault:CurrentKey is 3");
        Refused(new VaultOptions { Keys = { ["1"] = NewKey() }, KeyFile = "/nonexistent/keys.json" }, "Both Vault:KeyFile and Vault:Keys are set");
        Refused(new VaultOptions { KeyFile = "/nonexistent/keys.json" }, "Vault:KeyFile names /nonexistent/keys.json, which does not exist");
    }

    [Fact]
    public void A_key_file_that_other_users_can_read_or_that_is_malformed_is_refused()
    {
        var directory = Directory.CreateTempSubdirectory("datatrust-keys-").FullName;
        try
        {
            var path = Path.Combine(directory, "vault-keys.json");
            using (var file = KeyRingFile.New(TimeProvider.System))
            {
                file.Write(path);
            }

            using (var ring = NewProvider("Production", new VaultOptions { KeyFile = path }).Ring)
            {
                ring.Source.ShouldBe(new KeyRingSource(KeyRingSourceKind.File, path));
                ring.CurrentVersion.ShouldBe(1);
            }

            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);
            Refused(new VaultOptions { KeyFile = path }, "is accessible to other users");

            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            var text = File.ReadAllText(path);
            var key = text[(text.IndexOf("\"key\": \"", StringComparison.Ordinal) + 8)..];
            key = key[..key.IndexOf('"', StringComparison.Ordinal)];
            File.WriteAllText(path, text.Replace("\"current\": 1", "\"current\": 2", StringComparison.Ordinal));
            Refused(new VaultOptions { KeyFile = path }, "the current version 2 is not among its keys", key);
            File.WriteAllText(path, text.Replace(key, key[..20] + "\"x", StringComparison.Ordinal));
            Refused(new VaultOptions { KeyFile = path }, "it is not valid JSON", key[..20]);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void A_limit_above_AES_GCMs_random_nonce_bound_is_refused()
    {
        using var factory = new Infrastructure.DataTrustFactory(StorageProvider.Sqlite, new Dictionary<string, string?> { ["Vault:MaxEncryptionsPerDataKey"] = "8589934592" });
        var error = Should.Throw<StartupException>(() => Service<IOptions<VaultOptions>>(factory).Value);
        error.Message.ShouldContain("2^32");
    }

    private static string NewKey() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    private static void Refused(VaultOptions options, string expected, string? notEchoed = null)
    {
        var error = Should.Throw<StartupException>(() => NewProvider("Production", options).Ring);
        error.Message.ShouldContain(expected);
        if (notEchoed is not null)
        {
            error.Message.ShouldNotContain(notEchoed);
        }
    }

    private static KeyRingProvider NewProvider(string environment, VaultOptions options) =>
        new(Options.Create(options), Options.Create(new DataTrustOptions()), new HostingEnvironment { EnvironmentName = environment },
            TimeProvider.System, NullLogger<KeyRingProvider>.Instance);
}
