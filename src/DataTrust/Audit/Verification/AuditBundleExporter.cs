using System.Buffers;
using System.IO.Compression;
using System.Text;
using System.Text.Json.Nodes;
using DataTrust.Audit.Events;
using DataTrust.Audit.Integrity;
using DataTrust.Audit.Storage;
using DataTrust.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace DataTrust.Audit.Verification;

internal sealed record AuditExportSummary(long Entries, int Checkpoints, string CheckpointJws);

/// <summary>
/// Writes an <see cref="AuditBundle"/>. The export is recorded first and a checkpoint sealed over
/// the log including that record, so the bundle ends exactly at a signed tree and vouches for itself.
/// </summary>
internal sealed class AuditBundleExporter(
    IDbContextFactory<DataTrustDbContext> contexts,
    CheckpointSealer sealer,
    TimeProvider clock,
    IOptions<AuditOptions> options)
{
    private const int PageSize = 5000;

    public async Task<AuditExportSummary> ExportAsync(Stream destination, AuditActor actor, CancellationToken cancellationToken)
    {
        var sealedCheckpoint = await sealer.SealAsync(new AuditBundleExported(actor), cancellationToken);
        var size = sealedCheckpoint.TreeSize;
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var checkpoints = await db.Set<AuditCheckpoint>().AsNoTracking().Where(c => c.TreeSize <= size)
            .OrderBy(c => c.TreeSize).ThenBy(c => c.Id).ToListAsync(cancellationToken);
        var keys = await db.Set<AuditSigningKey>().AsNoTracking().OrderBy(k => k.CreatedAt).ToListAsync(cancellationToken);

        using var zip = new ZipArchive(destination, ZipArchiveMode.Create, leaveOpen: true);
        await WriteTextAsync(zip, AuditBundle.Manifest, new JsonObject
        {
            ["format"] = AuditBundle.Format,
            ["version"] = AuditBundle.Version,
            ["origin"] = options.Value.Origin,
            ["exportedAt"] = AuditEntryEncoding.FormatTime(clock.GetUtcNow()),
            ["entries"] = size,
            ["checkpoint"] = sealedCheckpoint.Jws,
        }.ToJsonString(), cancellationToken);
        await WriteEntriesAsync(zip, db, size, cancellationToken);
        await WriteTextAsync(zip, AuditBundle.Checkpoints, string.Concat(checkpoints.Select(c => c.Jws + "\n")), cancellationToken);
        await WriteTextAsync(zip, AuditBundle.Consistency, await ConsistencyProofsAsync(db, checkpoints, cancellationToken), cancellationToken);
        await WriteTextAsync(zip, AuditBundle.Keys, AuditSigningKeys.PublicKeySet(keys).ToJsonString(), cancellationToken);
        return new AuditExportSummary(size, checkpoints.Count, sealedCheckpoint.Jws);
    }

    private static async Task WriteEntriesAsync(ZipArchive zip, DataTrustDbContext db, long size, CancellationToken cancellationToken)
    {
        await using var stream = zip.CreateEntry(AuditBundle.Entries, CompressionLevel.Fastest).Open();
        var buffer = new ArrayBufferWriter<byte>(1 << 20);
        for (long from = 0; from < size; from += PageSize)
        {
            var to = Math.Min(size, from + PageSize);
            var page = await db.Set<AuditEntry>().AsNoTracking().Where(e => e.Seq >= from && e.Seq < to)
                .OrderBy(e => e.Seq).ToListAsync(cancellationToken);
            buffer.ResetWrittenCount();
            foreach (var entry in page)
            {
                AuditEntryEncoding.Encode(entry, buffer);
                buffer.Write("\n"u8);
            }

            await stream.WriteAsync(buffer.WrittenMemory, cancellationToken);
        }
    }

    private static async Task<string> ConsistencyProofsAsync(DataTrustDbContext db, List<AuditCheckpoint> checkpoints, CancellationToken cancellationToken)
    {
        var tree = new AuditTreeReader(db);
        var sizes = checkpoints.Select(c => c.TreeSize).Where(s => s > 0).Distinct().Order().ToList();
        var lines = new StringBuilder();
        for (var i = 1; i < sizes.Count; i++)
        {
            List<byte[]> proof;
            try
            {
                proof = await MerkleProofs.ConsistencyAsync(sizes[i - 1], sizes[i], tree, cancellationToken);
            }
            catch (InvalidDataException)
            {
                // A damaged log still exports: the auditor's offline verification shows the damage.
                continue;
            }

            lines.Append(new JsonObject
            {
                ["fromSize"] = sizes[i - 1],
                ["toSize"] = sizes[i],
                ["proof"] = new JsonArray(proof.Select(h => (JsonNode?)Convert.ToHexStringLower(h)).ToArray()),
            }.ToJsonString()).Append('\n');
        }

        return lines.ToString();
    }

    private static async Task WriteTextAsync(ZipArchive zip, string name, string text, CancellationToken cancellationToken)
    {
        await using var stream = zip.CreateEntry(name, CompressionLevel.Fastest).Open();
        await stream.WriteAsync(Encoding.UTF8.GetBytes(text), cancellationToken);
    }
}
