using System.Diagnostics;

namespace DataTrust.Tests.Infrastructure;

/// <summary>Runs a script of tests/conformance under Node with npm <c>jose</c>: an implementation of JOSE outside .NET.</summary>
public static class JoseScripts
{
    /// <summary>Runs <paramref name="script"/> with <paramref name="argument"/>, <paramref name="input"/> on stdin; returns the exit code and stdout (stderr when it failed).</summary>
    public static async Task<(int Exit, string Output)> RunAsync(string script, string argument, string input)
    {
        var conformance = Path.Combine(RepositoryPaths.Root, "tests", "conformance");
        Directory.Exists(Path.Combine(conformance, "node_modules", "jose")).ShouldBeTrue("run scripts/test-deps.sh (npm ci --prefix tests/conformance)");
        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = conformance, UseShellExecute = false, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true,
        };
        start.ArgumentList.Add(script);
        start.ArgumentList.Add(argument);
        using var node = Process.Start(start)!;
        await node.StandardInput.WriteAsync(input);
        node.StandardInput.Close();
        var stdout = node.StandardOutput.ReadToEndAsync();
        var stderr = await node.StandardError.ReadToEndAsync();
        await node.WaitForExitAsync();
        return (node.ExitCode, node.ExitCode == 0 ? await stdout : stderr);
    }
}
