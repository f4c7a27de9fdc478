using System.Diagnostics;
using DataTrust.Tests.Infrastructure;

namespace DataTrust.Tests.Identity;

/// <summary>
/// Runs tests/conformance/run.mjs — real flows with the certified openid-client relying party (npm) —
/// against the real service binary in Development. scripts/test-deps.sh installs the npm packages.
/// </summary>
public sealed class ConformanceTests
{
    [Fact]
    public async Task The_certified_openid_client_relying_party_completes_every_flow()
    {
        var conformance = Path.Combine(RepositoryPaths.Root, "tests", "conformance");
        Directory.Exists(Path.Combine(conformance, "node_modules", "openid-client")).ShouldBeTrue(
            "tests/conformance/node_modules is missing: run scripts/test-deps.sh (npm ci --prefix tests/conformance).");
        await using var service = await ServiceProcess.StartAsync("Development");

        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = conformance,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("run.mjs");
        start.Environment["DATATRUST_URL"] = service.BaseAddress.ToString().TrimEnd('/');
        using var node = Process.Start(start)!;
        var stdout = node.StandardOutput.ReadToEndAsync();
        var stderr = node.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        try
        {
            await node.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            node.Kill(entireProcessTree: true);
        }

        var output = await stdout + await stderr;
        node.ExitCode.ShouldBe(0, $"node run.mjs failed:\n{output}\n--- service output (tail) ---\n{Tail(service.Output)}");
        output.ShouldContain(" passed, 0 failed");
    }

    private static string Tail(string text) => text.Length > 4000 ? text[^4000..] : text;
}
