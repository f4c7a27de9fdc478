using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using DataTrust.Audit;
using DataTrust.Audit.Integrity;
using DataTrust.Audit.Verification;

namespace DataTrust.Bench;

/// <summary>
/// <c>audit-verify [--entries N] [--checkpoints K] [--keep FILE]</c>: writes a synthetic bundle of N
/// entries with K signed checkpoints and consistency proofs, then times the offline verifier on it
/// (the code behind <c>datatrust audit verify</c>).
/// </summary>
internal static class AuditVerifyHarness
{
    public static async Task<int> RunAsync(string[] args)
    {
        var entries = Option(args, "--entries", 1_000_000);
        var checkpointCount = Option(args, "--checkpoints", 10);
        var path = OptionText(args, "--keep") ?? Path.Combine(Path.GetTempPath(), $"datatrust-bench-{Guid.NewGuid():N}.zip");

        var written = Stopwatch.StartNew();
        await WriteBundleAsync(path, entries, checkpointCount);
        Console.WriteLine($"wrote {entries:N0} entries, {checkpointCount} checkpoints: {new FileInfo(path).Length / 1_048_576.0:0.0} MiB in {written.Elapsed.TotalSeconds:0.0} s");

        var verify = Stopwatch.StartNew();
        var report = OfflineBundleVerifier.Verify(path);
        verify.Stop();
        Console.WriteLine($"offline verification: ok={report.Log.Ok}, {report.Log.Entries:N0} entries, {report.Log.CheckpointsMatched} checkpoints matched, " +
            $"{report.ConsistencyProofs} consistency proofs");
        Console.WriteLine($"verify time: {verify.Elapsed.TotalSeconds:0.00} s ({report.Log.Entries / verify.Elapsed.TotalSeconds:N0} entries/s)");
        if (OptionText(args, "--keep") is null)
        {
            File.Delete(path);
        }

        return report.Log.Ok ? 0 : 1;
    }

    private static async Task WriteBundleAsync(string path, int count, int checkpointCount)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var keyId = AuditJwk.Thumbprint(key);
        var sizes = Enumerable.Range(1, checkpointCount).Select(i => (long)count * i / checkpointCount).Distinct().ToList();
        var leaves = new List<byte[]>(count);
        await using var file = File.Create(path);
        using var zip = new ZipArchive(file, ZipArchiveMode.Create);
        await using (var stream = zip.CreateEntry(AuditBundle.Entries, CompressionLevel.Fastest).Open())
        {
            var buffer = new ArrayBufferWriter<byte>(1 << 20);
            var previous = new byte[32];
            for (var i = 0; i < count; i++)
            {
                var entry = SyntheticLog.Entry(i, previous);
                AuditEntryEncoding.Encode(entry, buffer);
                buffer.Write("\n"u8);
                previous = entry.LeafHash;
                leaves.Add(previous);
                if (buffer.WrittenCount > (1 << 19))
                {
                    await stream.WriteAsync(buffer.WrittenMemory);
                    buffer.ResetWrittenCount();
                }
            }

            await stream.WriteAsync(buffer.WrittenMemory);
        }

        var tree = SyntheticLog.LevelledTree(leaves);
        var checkpoints = new StringBuilder();
        var time = new DateTimeOffset(2026, 11, 21, 12, 0, 0, TimeSpan.Zero);
        foreach (var size in sizes)
        {
            var root = await MerkleProofs.RangeHashAsync(0, size, tree, CancellationToken.None);
            checkpoints.Append(CheckpointJws.Sign(new Checkpoint("datatrust/audit", size, root, time), keyId, key)).Append('\n');
        }

        var proofs = new StringBuilder();
        for (var i = 1; i < sizes.Count; i++)
        {
            var proof = await MerkleProofs.ConsistencyAsync(sizes[i - 1], sizes[i], tree, CancellationToken.None);
            proofs.Append(new JsonObject
            {
                ["fromSize"] = sizes[i - 1],
                ["toSize"] = sizes[i],
                ["proof"] = new JsonArray(proof.Select(h => (JsonNode?)Convert.ToHexStringLower(h)).ToArray()),
            }.ToJsonString()).Append('\n');
        }

        Write(zip, AuditBundle.Checkpoints, checkpoints.ToString());
        Write(zip, AuditBundle.Consistency, proofs.ToString());
        Write(zip, AuditBundle.Keys, new JsonObject { ["keys"] = new JsonArray(AuditJwk.ToJwk(key, keyId)) }.ToJsonString());
        Write(zip, AuditBundle.Manifest, new JsonObject
        {
            ["format"] = AuditBundle.Format,
            ["version"] = AuditBundle.Version,
            ["origin"] = "datatrust/audit",
            ["exportedAt"] = AuditEntryEncoding.FormatTime(time),
            ["entries"] = count,
        }.ToJsonString());
    }

    private static void Write(ZipArchive zip, string name, string text)
    {
        using var stream = zip.CreateEntry(name, CompressionLevel.Fastest).Open();
        stream.Write(Encoding.UTF8.GetBytes(text));
    }

    internal static int Option(string[] args, string name, int fallback) =>
        OptionText(args, name) is { } text ? int.Parse(text, CultureInfo.InvariantCulture) : fallback;

    internal static string? OptionText(string[] args, string name)
    {
        var at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? args[at + 1] : null;
    }
}
