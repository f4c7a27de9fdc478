using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using DataTrust.Tests.Infrastructure;
using Npgsql;

namespace DataTrust.Tests.Common;

/// <summary>
/// The real service binary, started as an operator would, with a configuration mistake: it must exit
/// non-zero with one plain sentence on stderr, not a stack trace.
/// </summary>
public sealed class StartupFailureTests
{
    [Fact]
    public async Task An_unreachable_PostgreSQL_is_named_plainly()
    {
        var port = ClosedPort();
        var (exitCode, stderr) = await RunServiceAsync(new()
        {
            ["Storage__Provider"] = "Postgres",
            ["ConnectionStrings__DataTrust"] = $"Host=127.0.0.1;Port={port};Username=datatrust;Password=x;Timeout=3",
        });

        exitCode.ShouldBe(1);
        stderr.ShouldContain($"DataTrust cannot start: PostgreSQL at 127.0.0.1:{port} cannot be reached");
        stderr.ShouldNotContain("   at ");
        stderr.ShouldNotContain("Password");
    }

    [Fact]
    public async Task PostgreSQL_without_a_connection_string_says_which_setting_is_missing()
    {
        var (exitCode, stderr) = await RunServiceAsync(new() { ["Storage__Provider"] = "Postgres" });

        exitCode.ShouldBe(1);
        stderr.ShouldContain("ConnectionStrings:DataTrust is not set");
        stderr.ShouldNotContain("   at ");
    }

    [Fact]
    public async Task An_unknown_storage_provider_is_named()
    {
        var (exitCode, stderr) = await RunServiceAsync(new() { ["Storage__Provider"] = "Oracle" });

        exitCode.ShouldBe(1);
        stderr.ShouldContain("Storage:Provider is 'Oracle'");
        stderr.ShouldNotContain("   at ");
    }

    [Fact]
    public async Task A_data_directory_that_cannot_be_created_is_named()
    {
        var blocker = Path.Combine(Path.GetTempPath(), $"datatrust-file-{Guid.NewGuid():N}");
        await File.WriteAllTextAsync(blocker, "a file where the data directory should go");
        try
        {
            var (exitCode, stderr) = await RunServiceAsync(new() { ["DataTrust__DataDirectory"] = Path.Combine(blocker, "data") });

            exitCode.ShouldBe(1);
            stderr.ShouldContain("DataTrust cannot start:");
            stderr.ShouldContain(blocker);
            stderr.ShouldNotContain("   at ");
        }
        finally
        {
            File.Delete(blocker);
        }
    }

    [Fact]
    public async Task A_corrupt_policy_file_is_named_with_its_line_and_the_database_is_left_alone()
    {
        var policies = Directory.CreateTempSubdirectory("datatrust-bad-policy-").FullName;
        try
        {
            foreach (var file in Directory.GetFiles(RepositoryPaths.Policies, "*.yaml"))
            {
                File.Copy(file, Path.Combine(policies, Path.GetFileName(file)));
            }

            var purposes = Path.Combine(policies, "purposes.yaml");
            var lines = (await File.ReadAllLinesAsync(purposes)).ToList();
            var badLine = lines.FindIndex(l => l.TrimStart().StartsWith("max_consent_duration:", StringComparison.Ordinal));
            badLine.ShouldBeGreaterThanOrEqualTo(0);
            lines[badLine] = lines[badLine][..lines[badLine].IndexOf(':', StringComparison.Ordinal)] + ": forever";
            await File.WriteAllLinesAsync(purposes, lines);

            var (exitCode, stderr) = await RunServiceAsync(new() { ["DataTrust__PoliciesDirectory"] = policies });

            exitCode.ShouldBe(1);
            stderr.ShouldContain("DataTrust cannot start:");
            stderr.ShouldContain($"purposes.yaml:{badLine + 1}:");
            stderr.ShouldNotContain("   at ");
        }
        finally
        {
            Directory.Delete(policies, recursive: true);
        }
    }

    [Fact]
    public async Task Production_without_the_audit_pseudonym_key_names_the_setting()
    {
        var (exitCode, stderr) = await RunServiceAsync(new() { ["Audit__PseudonymKey"] = "" });

        exitCode.ShouldBe(1);
        stderr.ShouldContain("DataTrust cannot start: Audit:PseudonymKey is not set");
        stderr.ShouldNotContain("   at ");
    }

    [Fact]
    public async Task A_missing_PostgreSQL_database_is_created_and_migrated()
    {
        var name = "missing_" + Guid.NewGuid().ToString("N")[..12];
        var connectionString = PostgresServer.Instance.ConnectionString(name);

        await using (await ServiceProcess.StartAsync("Production", new Dictionary<string, string>
        {
            ["Storage__Provider"] = "Postgres",
            ["ConnectionStrings__DataTrust"] = connectionString,
        }))
        {
            // ready: start-up created and migrated the database
        }

        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM \"__EFMigrationsHistory\"", connection);
        ((long)(await command.ExecuteScalarAsync())!).ShouldBeGreaterThan(0);
    }

    /// <summary>Starts the service binary in Production with the given settings and waits for it to exit.</summary>
    internal static async Task<(int ExitCode, string Stderr)> RunServiceAsync(Dictionary<string, string> environment, bool withVaultKey = true)
    {
        var workingDirectory = Directory.CreateTempSubdirectory("datatrust-start-").FullName;
        var start = ServiceProcess.StartInfo("Production", workingDirectory, ServiceProcess.FreePort(), environment);
        if (!withVaultKey)
        {
            start.Environment.Remove("Vault__Keys__1");
        }

        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        _ = process.StandardOutput.ReadToEndAsync();
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await process.WaitForExitAsync(timeout.Token);
            return (process.ExitCode, await stderr);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            Directory.Delete(workingDirectory, recursive: true);
        }
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
