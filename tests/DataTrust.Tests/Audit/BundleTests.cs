using System.Diagnostics;
using System.IO.Compression;
using System.Text;
using DataTrust.Audit.Verification;
using DataTrust.Persistence;
using DataTrust.Tests.Infrastructure;

namespace DataTrust.Tests.Audit;

/// <summary>
/// Tampering with an exported bundle itself is caught offline, and <c>datatrust audit verify</c> (the
/// real CLI binary, no database, no network) exits 0 on an intact bundle and 1 on a tampered one.
/// </summary>
public sealed class BundleTests : IClassFixture<BundleTests.ExportedBundle>
{
    private readonly ExportedBundle _bundle;

    public BundleTests(ExportedBundle bundle) => _bundle = bundle;

    [Fact]
    public void The_untouched_bundle_verifies()
    {
        var report = OfflineBundleVerifier.Verify(_bundle.Path);

        report.Log.Ok.ShouldBeTrue(string.Join("\n", report.Log.Problems));
        report.Log.Entries.ShouldBe(_bundle.Lines.Count);
        report.Log.CheckpointsMatched.ShouldBe(3);
        report.ConsistencyProofs.ShouldBe(2);
    }

    [Fact]
    public void Editing_a_line_names_it()
    {
        var lines = _bundle.Lines.ToList();
        lines[7].ShouldContain("\"rejected\"");
        lines[7] = lines[7].Replace("\"rejected\"", "\"approved\"", StringComparison.Ordinal);

        Verify(WithEntries(lines)).FirstBadIndex.ShouldBe(7);
    }

    [Fact]
    public void Deleting_a_line_names_its_position()
    {
        var lines = _bundle.Lines.ToList();
        lines.RemoveAt(7);

        Verify(WithEntries(lines)).FirstBadIndex.ShouldBe(7);
    }

    [Fact]
    public void Swapping_two_lines_names_the_first()
    {
        var lines = _bundle.Lines.ToList();
        (lines[5], lines[9]) = (lines[9], lines[5]);

        Verify(WithEntries(lines)).FirstBadIndex.ShouldBe(5);
    }

    [Fact]
    public void Inserting_a_line_names_its_position()
    {
        var lines = _bundle.Lines.ToList();
        lines.Insert(10, lines[3]);

        Verify(WithEntries(lines)).FirstBadIndex.ShouldBe(10);
    }

    [Fact]
    public void Dropping_the_newest_lines_is_caught_by_the_checkpoint()
    {
        var lines = _bundle.Lines.ToList();

        Verify(WithEntries(lines.Take(lines.Count - 2).ToList())).FirstBadIndex.ShouldBe(lines.Count - 2);
    }

    [Fact]
    public void A_forged_checkpoint_signature_is_caught()
    {
        var checkpoints = _bundle.Read(AuditBundle.Checkpoints).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var parts = checkpoints[0].Split('.');
        checkpoints[0] = $"{parts[0]}.{parts[1]}.{(parts[2][0] == 'A' ? 'B' : 'A')}{parts[2][1..]}";

        var report = OfflineBundleVerifier.Verify(_bundle.Rewrite(AuditBundle.Checkpoints, string.Join('\n', checkpoints) + "\n"));

        report.Log.Ok.ShouldBeFalse();
        report.Log.Problems.ShouldContain(p => p.Message.Contains("invalid signature", StringComparison.Ordinal));
    }

    [Fact]
    public void Replacing_the_published_keys_is_caught()
    {
        using var other = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        var keyId = System.Text.Json.JsonDocument.Parse(_bundle.Read(AuditBundle.Keys)).RootElement.GetProperty("keys")[0].GetProperty("kid").GetString()!;
        var forged = $"{{\"keys\":[{DataTrust.Audit.Integrity.AuditJwk.ToJwk(other, keyId).ToJsonString()}]}}";

        OfflineBundleVerifier.Verify(_bundle.Rewrite(AuditBundle.Keys, forged)).Log.Ok.ShouldBeFalse();
    }

    [Fact]
    public void A_file_that_is_not_a_bundle_is_refused_plainly()
    {
        var path = System.IO.Path.Combine(_bundle.Directory, "not-a-bundle.zip");
        File.WriteAllText(path, "hello");

        var report = OfflineBundleVerifier.Verify(path);

        report.Log.Ok.ShouldBeFalse();
        report.Log.Problems.Single().Message.ShouldContain("not an audit bundle");
    }

    [Fact]
    public async Task The_CLI_verifies_offline_and_exits_non_zero_on_tampering()
    {
        var (intactCode, intactOutput) = await RunCliAsync("audit", "verify", _bundle.Path);
        intactCode.ShouldBe(0, intactOutput);
        intactOutput.ShouldContain("OK: the audit log is intact.");
        intactOutput.ShouldContain($"entries:     {_bundle.Lines.Count}");

        var lines = _bundle.Lines.ToList();
        lines.RemoveAt(4);
        var (tamperedCode, tamperedOutput) = await RunCliAsync("audit", "verify", WithEntries(lines));
        tamperedCode.ShouldBe(1, tamperedOutput);
        tamperedOutput.ShouldContain("TAMPERED");
        tamperedOutput.ShouldContain("first bad index: 4");
    }

    private static AuditVerificationReport Verify(string path)
    {
        var report = OfflineBundleVerifier.Verify(path).Log;
        report.Ok.ShouldBeFalse();
        return report;
    }

    private string WithEntries(List<string> lines) => _bundle.Rewrite(AuditBundle.Entries, string.Concat(lines.Select(l => l + "\n")));

    internal static async Task<(int ExitCode, string Output)> RunCliAsync(params string[] arguments)
    {
        var cli = AppContext.BaseDirectory.Replace(
            System.IO.Path.Combine("tests", "DataTrust.Tests"), System.IO.Path.Combine("src", "DataTrust.Cli"), StringComparison.Ordinal);
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(System.IO.Path.Combine(cli, "datatrust.dll"));
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // Offline means offline: the configured database is unreachable (a closed loopback port), and not needed.
        start.Environment["ConnectionStrings__DataTrust"] = "Host=127.0.0.1;Port=1;Database=none;Timeout=1";
        start.Environment["Storage__Provider"] = "Postgres";
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output + await error);
    }

    /// <summary>One exported bundle with three checkpoints, shared by the tests, which tamper with copies.</summary>
    public sealed class ExportedBundle : IAsyncLifetime
    {
        private readonly DataTrustFactory _factory = new(StorageProvider.Sqlite);

        public string Path { get; private set; } = "";

        public string Directory => _factory.Database.DataDirectory;

        public IReadOnlyList<string> Lines { get; private set; } = [];

        public async Task InitializeAsync()
        {
            await _factory.AppendManyAsync(8);
            await _factory.SealAsync();
            await _factory.AppendManyAsync(8, batch: 4, start: 8);
            await _factory.SealAsync();
            await _factory.AppendManyAsync(4, start: 16);
            Path = System.IO.Path.Combine(Directory, "bundle.zip");
            await using (var file = File.Create(Path))
            {
                await _factory.Service<AuditBundleExporter>().ExportAsync(file, DataTrust.Audit.Events.AuditActor.System("test"), CancellationToken.None);
            }

            Lines = Read(AuditBundle.Entries).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        }

        public Task DisposeAsync()
        {
            _factory.Dispose();
            return Task.CompletedTask;
        }

        public string Read(string name)
        {
            using var zip = ZipFile.OpenRead(Path);
            using var reader = new StreamReader(zip.GetEntry(name)!.Open(), Encoding.UTF8);
            return reader.ReadToEnd();
        }

        /// <summary>A copy of the bundle with one member replaced.</summary>
        public string Rewrite(string name, string content)
        {
            var copy = System.IO.Path.Combine(Directory, $"tampered-{Guid.NewGuid():N}.zip");
            File.Copy(Path, copy);
            using var zip = ZipFile.Open(copy, ZipArchiveMode.Update);
            zip.GetEntry(name)!.Delete();
            using var writer = new StreamWriter(zip.CreateEntry(name).Open(), new UTF8Encoding(false));
            writer.Write(content);
            return copy;
        }
    }
}
