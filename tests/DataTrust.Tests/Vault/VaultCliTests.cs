using System.Diagnostics;
using System.Security.Cryptography;
using DataTrust.Persistence;
using DataTrust.Tests.Infrastructure;
using DataTrust.Vault.Keys;
using Microsoft.EntityFrameworkCore;

namespace DataTrust.Tests.Vault;

/// <summary>
/// <c>datatrust keys …</c> run as the real binary against a service's SQLite file. The services behind
/// the commands are tested on both providers; one CLI process costs about two seconds, so this runs on one.
/// </summary>
public sealed class VaultCliTests() : VaultTestBase(StorageProvider.Sqlite)
{
    [Fact]
    public async Task In_Development_an_operator_rotates_both_key_levels_and_destroys_the_old_KEK_from_the_command_line()
    {
        using var factory = StartService();
        var alice = Guid.NewGuid();
        var bob = Guid.NewGuid();
        var records = new List<(Guid Resident, Guid Id)>();
        for (var i = 0; i < 3; i++)
        {
            records.Add((alice, await PutAsync(factory, alice, "health.checkup", CanaryJson)));
        }

        records.Add((bob, await PutAsync(factory, bob, "health.checkup", CanaryJson)));
        string[] development = ["--environment", "Development", "--data-dir", factory.Database.DataDirectory];

        var add = await RunCliAsync(factory, [], ["keys", "add-kek", .. development]);
        add.ExitCode.ShouldBe(0, add.Stderr);
        add.Stdout.ShouldContain("Key-encryption key version 2 was added");

        var refused = await RunCliAsync(factory, [], ["keys", "destroy-kek", "--version", "1", .. development]);
        refused.ExitCode.ShouldBe(1);
        refused.Stderr.ShouldContain("2 data key(s) are still wrapped under key-encryption key version 1");

        var rotate = await RunCliAsync(factory, [], ["keys", "rotate-kek", .. development]);
        rotate.ExitCode.ShouldBe(0, rotate.Stderr);
        rotate.Stdout.ShouldContain("2 data key(s) rewrapped under key-encryption key version 2.");
        int protectionKeys;
        await using (var db = factory.NewDbContext())
        {
            protectionKeys = await db.Set<DataProtectionKey>().CountAsync();
        }

        protectionKeys.ShouldBeGreaterThan(0);
        rotate.Stdout.ShouldContain($"{protectionKeys} Data Protection key(s) (sign-in cookies, signing keys) re-encrypted under it.");

        var destroy = await RunCliAsync(factory, [], ["keys", "destroy-kek", "--version", "1", .. development]);
        destroy.ExitCode.ShouldBe(0, destroy.Stderr);

        var dek = await RunCliAsync(factory, [], ["keys", "rotate-dek", "--resident", alice.ToString(), .. development]);
        dek.ExitCode.ShouldBe(0, dek.Stderr);
        dek.Stdout.ShouldContain("3 record(s) re-encrypted; 1 old data key version(s) retired.");

        var status = await RunCliAsync(factory, [], ["keys", "status", .. development]);
        status.ExitCode.ShouldBe(0, status.Stderr);
        status.Stdout.ShouldContain("current KEK version: 2");
        status.Stdout.ShouldContain("destroyed versions:  1");
        status.Stdout.ShouldContain("data keys under KEK 2: 2");

        // The running service picks up the rewritten key file and still reads everything.
        Service<KeyRingProvider>(factory).Reload().Contains(1).ShouldBeFalse();
        foreach (var (resident, id) in records)
        {
            (await ReadAsync(factory, resident, id)).ShouldBe(CanaryJson);
        }

        (await DataKeyRowsAsync(factory, alice)).Select(k => (k.Version, k.KekVersion)).ShouldBe([(2, 2)]);
        using var keyFile = KeyRingFile.Read(Service<KeyRingProvider>(factory).Ring.Source.FilePath!);
        foreach (var output in new[] { add, refused, rotate, destroy, dek, status })
        {
            (output.Stdout + output.Stderr).ShouldNotContain(Canary);
            (output.Stdout + output.Stderr).ShouldNotContain(Convert.ToBase64String(keyFile.Keys.Single().Key));
        }
    }

    [Fact]
    public async Task In_Production_the_CLI_prints_the_rotation_steps_instead_of_writing_key_material()
    {
        using var factory = StartService();
        var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        Dictionary<string, string> production = new() { ["Vault__Keys__1"] = key };
        string[] dataDirectory = ["--data-dir", factory.Database.DataDirectory];

        var add = await RunCliAsync(factory, production, ["keys", "add-kek", .. dataDirectory]);
        add.ExitCode.ShouldBe(2, add.Stderr);
        add.Stdout.ShouldContain("DataTrust does not write key material outside Development");
        add.Stdout.ShouldContain("Vault__Keys__2");
        add.Stdout.ShouldNotContain(key);

        var destroy = await RunCliAsync(factory, production, ["keys", "destroy-kek", "--version", "1", .. dataDirectory]);
        destroy.ExitCode.ShouldBe(1);
        destroy.Stderr.ShouldContain("Key-encryption key version 1 is the current one");

        var missing = await RunCliAsync(factory, [], ["keys", "status", .. dataDirectory]);
        missing.ExitCode.ShouldBe(1);
        missing.Stderr.ShouldContain("datatrust: The vault's key-encryption keys are not configured: set Vault:KeyFile");
        missing.Stderr.ShouldNotContain("   at ");
    }

    private static async Task<(int ExitCode, string Stdout, string Stderr)> RunCliAsync(DataTrustFactory factory, Dictionary<string, string> environment, string[] arguments)
    {
        var cli = AppContext.BaseDirectory.Replace(
            Path.Combine("tests", "DataTrust.Tests"), Path.Combine("src", "DataTrust.Cli"), StringComparison.Ordinal);
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = factory.Database.DataDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(cli, "datatrust.dll"));
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment.Remove("ASPNETCORE_ENVIRONMENT");
        start.Environment["NO_COLOR"] = "1";
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout, await stderr);
    }
}
