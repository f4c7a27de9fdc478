using System.Collections.Concurrent;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using DataTrust.Audit.Integrity;

namespace DataTrust.Audit.Verification;

internal sealed record BundleVerificationReport(AuditVerificationReport Log, int Checkpoints, int Keys, int ConsistencyProofs, string? Origin);

/// <summary>
/// Verifies an exported bundle with nothing but the file: no network, no database. Checkpoint
/// signatures are checked against the bundled public keys, each consistency proof against the two
/// signed roots it links, and every entry is re-hashed, re-chained and folded into the Merkle roots
/// the checkpoints signed. A checkpoint the auditor kept from earlier can be passed in: the bundle
/// must then contain that exact tree too, which catches a log that was truncated and re-signed.
/// </summary>
internal static class OfflineBundleVerifier
{
    public static BundleVerificationReport Verify(string bundlePath, string? trustedCheckpointJws = null)
    {
        using var file = File.OpenRead(bundlePath);
        return Verify(file, trustedCheckpointJws);
    }

    public static BundleVerificationReport Verify(Stream bundle, string? trustedCheckpointJws = null)
    {
        var problems = new List<AuditProblem>();
        ZipArchive zip;
        try
        {
            zip = new ZipArchive(bundle, ZipArchiveMode.Read, leaveOpen: true);
        }
        catch (InvalidDataException ex)
        {
            return Failed("The file is not an audit bundle (not a ZIP archive): " + ex.Message);
        }

        using (zip)
        {
            if (zip.GetEntry(AuditBundle.Manifest) is null || zip.GetEntry(AuditBundle.Entries) is null ||
                zip.GetEntry(AuditBundle.Checkpoints) is null || zip.GetEntry(AuditBundle.Keys) is null)
            {
                return Failed("The bundle lacks one of manifest.json, entries.jsonl, checkpoints.jsonl, keys.json.");
            }

            var (origin, manifestEntries) = ReadManifest(zip, problems);
            Dictionary<string, ECDsa> keys;
            try
            {
                keys = AuditJwk.ReadSet(ReadText(zip, AuditBundle.Keys));
            }
            catch (Exception ex) when (ex is JsonException or FormatException or CryptographicException or InvalidOperationException)
            {
                return Failed("keys.json is not a JWK Set: " + ex.Message);
            }

            var expected = new List<ExpectedRoot>();
            var checkpoints = 0;
            foreach (var line in ReadLines(zip, AuditBundle.Checkpoints))
            {
                checkpoints++;
                if (CheckSigned(line, $"Checkpoint {checkpoints}", keys, origin, problems) is { } root)
                {
                    expected.Add(root);
                }
            }

            if (trustedCheckpointJws is not null && CheckSigned(trustedCheckpointJws, "The trusted checkpoint", keys, origin, problems) is { } trusted)
            {
                expected.Add(trusted);
            }

            var proofs = CheckConsistencyProofs(zip, expected, problems);
            var verifier = new AuditChainVerifier(expected);
            foreach (var problem in problems)
            {
                verifier.Report(problem.Index, problem.Message);
            }

            ReadEntries(zip, verifier);
            if (manifestEntries is { } claimed && claimed != verifier.Count)
            {
                verifier.Report(Math.Min(claimed, verifier.Count), $"The manifest lists {claimed} entries, but entries.jsonl holds {verifier.Count}.");
            }

            if (expected.Count == 0)
            {
                verifier.Report(null, "No checkpoint in the bundle could be verified, so nothing vouches for the entries.");
            }

            return new BundleVerificationReport(verifier.Complete(), checkpoints, keys.Count, proofs, origin);
        }
    }

    internal static ExpectedRoot? CheckSigned(string jws, string label, Dictionary<string, ECDsa> keys, string? origin, List<AuditProblem> problems)
    {
        if (CheckpointJws.Read(jws) is not var (checkpoint, keyId))
        {
            problems.Add(new AuditProblem(null, $"{label} is not a well-formed checkpoint."));
            return null;
        }

        if (!keys.TryGetValue(keyId, out var key))
        {
            problems.Add(new AuditProblem(null, $"{label} is signed by key {keyId}, which the bundle does not publish."));
            return null;
        }

        if (!CheckpointJws.VerifySignature(jws, key))
        {
            problems.Add(new AuditProblem(null, $"{label} (size {checkpoint.TreeSize}) has an invalid signature."));
            return null;
        }

        if (origin is not null && checkpoint.Origin != origin)
        {
            problems.Add(new AuditProblem(null, $"{label} belongs to the log \"{checkpoint.Origin}\", not \"{origin}\"."));
        }

        return new ExpectedRoot($"{label} (signed {Checkpoint.FormatTime(checkpoint.Time)})", checkpoint.TreeSize, checkpoint.RootHash);
    }

    private static int CheckConsistencyProofs(ZipArchive zip, List<ExpectedRoot> signed, List<AuditProblem> problems)
    {
        if (zip.GetEntry(AuditBundle.Consistency) is null)
        {
            return 0;
        }

        var count = 0;
        foreach (var line in ReadLines(zip, AuditBundle.Consistency))
        {
            count++;
            try
            {
                using var document = JsonDocument.Parse(line);
                var root = document.RootElement;
                var from = root.GetProperty("fromSize").GetInt64();
                var to = root.GetProperty("toSize").GetInt64();
                var proof = root.GetProperty("proof").EnumerateArray().Select(h => Convert.FromHexString(h.GetString()!)).ToList();
                var first = signed.FirstOrDefault(s => s.TreeSize == from);
                var second = signed.FirstOrDefault(s => s.TreeSize == to);
                if (first is null || second is null)
                {
                    problems.Add(new AuditProblem(null, $"Consistency proof {from}→{to} links sizes that no verified checkpoint has."));
                }
                else if (!MerkleProofs.VerifyConsistency(from, to, proof, first.RootHash, second.RootHash))
                {
                    problems.Add(new AuditProblem(from, $"The checkpoints of sizes {from} and {to} are not consistent: the log was rewritten below {from}."));
                }
            }
            catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
            {
                problems.Add(new AuditProblem(null, $"Line {count} of consistency.jsonl is not a consistency proof."));
            }
        }

        return count;
    }

    private static (string? Origin, long? Entries) ReadManifest(ZipArchive zip, List<AuditProblem> problems)
    {
        try
        {
            using var document = JsonDocument.Parse(ReadText(zip, AuditBundle.Manifest));
            var root = document.RootElement;
            if (root.GetProperty("format").GetString() != AuditBundle.Format || root.GetProperty("version").GetInt32() != AuditBundle.Version)
            {
                problems.Add(new AuditProblem(null, "manifest.json names another format or version."));
            }

            return (root.GetProperty("origin").GetString(), root.GetProperty("entries").GetInt64());
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            problems.Add(new AuditProblem(null, "manifest.json is not readable: " + ex.Message));
            return (null, null);
        }
    }

    /// <summary>
    /// Inflating and splitting the lines runs on one thread while the lines are parsed and hashed in
    /// parallel on the others; only the chain and tree folding, which are cheap, run in order.
    /// </summary>
    private static void ReadEntries(ZipArchive zip, AuditChainVerifier verifier)
    {
        using var batches = new BlockingCollection<LineBatch>(boundedCapacity: 4);
        var producer = Task.Run(() =>
        {
            try
            {
                using var stream = zip.GetEntry(AuditBundle.Entries)!.Open();
                var lines = new LineReader(stream);
                var batch = new LineBatch();
                while (lines.TryRead(out var line))
                {
                    batch.Add(line.Span);
                    if (batch.Count == LineBatch.Capacity)
                    {
                        batches.Add(batch);
                        batch = new LineBatch();
                    }
                }

                if (batch.Count > 0)
                {
                    batches.Add(batch);
                }
            }
            finally
            {
                batches.CompleteAdding();
            }
        });

        foreach (var batch in batches.GetConsumingEnumerable())
        {
            Parallel.For(0, batch.Count, batch.Hash);
            for (var i = 0; i < batch.Count; i++)
            {
                if (batch.Readable[i])
                {
                    verifier.AddHashed(batch.Seq[i], batch.Prev.AsSpan(i * MerkleHash.Size, MerkleHash.Size), batch.Leaves[i]);
                }
                else
                {
                    // An unreadable line still takes its place in the tree, so the roots show the damage too.
                    verifier.Report(verifier.Count, $"Line {verifier.Count + 1} of entries.jsonl is not an encoded audit entry.");
                    verifier.AddHashed(verifier.Count, verifier.LastLeafHash, batch.Leaves[i]);
                }
            }
        }

        producer.GetAwaiter().GetResult();
    }

    /// <summary>A run of entry lines copied out of the stream, with what hashing and parsing found in each.</summary>
    private sealed class LineBatch
    {
        public const int Capacity = 4096;

        private readonly int[] _starts = new int[Capacity + 1];
        private byte[] _bytes = new byte[Capacity * 600];

        public int Count { get; private set; }

        public byte[][] Leaves { get; } = new byte[Capacity][];

        public long[] Seq { get; } = new long[Capacity];

        public byte[] Prev { get; } = new byte[Capacity * MerkleHash.Size];

        public bool[] Readable { get; } = new bool[Capacity];

        public void Add(ReadOnlySpan<byte> line)
        {
            var end = _starts[Count] + line.Length;
            if (end > _bytes.Length)
            {
                Array.Resize(ref _bytes, Math.Max(end, _bytes.Length * 2));
            }

            line.CopyTo(_bytes.AsSpan(_starts[Count]));
            Count++;
            _starts[Count] = end;
        }

        public void Hash(int i)
        {
            var line = _bytes.AsSpan(_starts[i], _starts[i + 1] - _starts[i]);
            Leaves[i] = MerkleHash.Leaf(line);
            Readable[i] = AuditEntryEncoding.TryReadLink(line, out Seq[i], Prev.AsSpan(i * MerkleHash.Size, MerkleHash.Size));
        }
    }

    private static string ReadText(ZipArchive zip, string name)
    {
        using var reader = new StreamReader(zip.GetEntry(name)!.Open(), Encoding.UTF8);
        return reader.ReadToEnd();
    }

    private static string[] ReadLines(ZipArchive zip, string name) =>
        ReadText(zip, name).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static BundleVerificationReport Failed(string message) =>
        new(new AuditVerificationReport(false, 0, 0, null, "", [new AuditProblem(null, message)]), 0, 0, 0, null);

    /// <summary>Splits a stream on '\n' into byte lines without decoding them: the bytes are what was hashed.</summary>
    private sealed class LineReader(Stream stream)
    {
        private byte[] _buffer = new byte[1 << 20];
        private int _start;
        private int _end;
        private bool _eof;

        public bool TryRead(out ReadOnlyMemory<byte> line)
        {
            while (true)
            {
                var newline = _buffer.AsSpan(_start, _end - _start).IndexOf((byte)'\n');
                if (newline >= 0)
                {
                    line = _buffer.AsMemory(_start, newline);
                    _start += newline + 1;
                    return true;
                }

                if (_eof)
                {
                    line = _buffer.AsMemory(_start, _end - _start);
                    _start = _end;
                    return !line.IsEmpty;
                }

                Fill();
            }
        }

        private void Fill()
        {
            if (_start > 0)
            {
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                _end -= _start;
                _start = 0;
            }

            if (_end == _buffer.Length)
            {
                Array.Resize(ref _buffer, _buffer.Length * 2);
            }

            var read = stream.Read(_buffer, _end, _buffer.Length - _end);
            _end += read;
            _eof = read == 0;
        }
    }
}
